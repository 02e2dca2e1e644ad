# The TUI's own texts: the `w` pane's title, the help overlay, the lessons panel.

pane-explain-title = who can do what: { $cgroup }

help-title = cgtui help
help-columns = columns (config `columns`, in any order)
help-markers = markers
help-scroll = { $first }-{ $last } of { $total } · ↑↓ PgUp PgDn scroll · any other key closes
help-any-key = any key closes
help-lessons-keys = 1…9
legend-states = ● populated  ○ empty  ❄ frozen  ▸ collapsed  ▾ expanded  ◂ cgtui: cgtui's own cgroup
legend-yours = ⇦ yours: ownership changes to you here (the delegation boundary)
legend-sort = ▲ ▼ after a column's title: the tree is sorted by it, ascending or descending
legend-dash = A lone - in a column: no value (not read yet, or this cgroup has no such file: its controller is off)
legend-cut = …: text cut to fit (the details pane and the w pane show it whole)
legend-oom = OOM-KILL: an OOM kill in the last 5 s (the row is highlighted too)
legend-stale = ~12.3 (dimmed): a value not read in the last few intervals (the row was off screen); replay shows every value as recorded, with no ~; ~ in the header's CPU or mem: a total that includes such a value
legend-sparklines = Sparklines: ▁…█ up to the top in the title (CPU: the CPUs × 100 % or the cpu.max quota; config cpu_scale = "peak": the highest shown), · zero, blank: no sample; dimmed columns come from a recorder's store
legend-lessons = Lessons: ✓ a step done, ▶ the step to do now, · a step still ahead
legend-events = New cgroups, populated/frozen flips and OOM kills arrive by inotify at once; counters (cpu.stat, memory.current, io.stat...) are polled every interval.
legend-asks = Every change shows the kernel's predicted answer and asks first.
legend-mouse = Mouse: a click selects a row (tree, processes, a dialog's list) and a click on the selected row expands it or, in a dialog, acts as Enter; a click on a column's title sorts by it; a confirmation's yes and no buttons answer it; clicks beside a dialog do nothing; the wheel scrolls (--no-mouse leaves the mouse to the terminal).
legend-config = Config: $XDG_CONFIG_HOME/cgtui/config.toml (or --config FILE): interval, columns, sort, theme, color, cpu_scale and a [keys] table that rebinds any key above by its action's name.

lessons-title = lessons
lessons-pick = Pick a lesson with its number:
lessons-open-few = 1-9 open a lesson
lessons-open-many = 1-9 open a lesson (] [ reach all { $count })
lessons-hint = Steps tick off as you do them. { $open } · ] [ next/previous · 0 this list · {"{"} {"}"} scroll · L close
lessons-done = Done. ] for the next lesson.
lessons-lesson-title = lesson { $number } of { $count }
lessons-predict = Predict, then verify:
lessons-you = you:
lessons-kernel = kernel:
lessons-right = right
lessons-wrong = wrong
lessons-window = ── { $first }-{ $last } of { $total } · {"{"} {"}"} scroll

# cgtui lessons --try: a guess next to the kernel's answer.
exercise-heading = { $question } (lesson { $lesson })
exercise-attempt = { $attempt } as { $student } (uid { $uid })
exercise-verdict = your guess: { $guess }   the kernel: { $kernel }   { $mark }
exercise-right = right
exercise-wrong = wrong
exercise-why = why: { $rule }
