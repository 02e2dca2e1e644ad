# TUI 自己的文字：`w` 窗格的标题、帮助浮层、课程面板。

pane-explain-title = 谁能做什么：{ $cgroup }

help-title = cgtui 帮助
help-columns = 列（配置项 `columns`，顺序任意）
help-markers = 标记
help-scroll = 第 { $first }-{ $last } 行，共 { $total } 行 · ↑↓ PgUp PgDn 滚动 · 其他任意键关闭
help-any-key = 任意键关闭
help-lessons-keys = 1…9
legend-states = ● 有进程  ○ 空  ❄ 已冻结  ▸ 已折叠  ▾ 已展开  ◂ cgtui：cgtui 自己的 cgroup
legend-yours = ⇦ yours：从这里起归你所有（委派边界）
legend-sort = 列标题后的 ▲ ▼：树按该列排序，升序或降序
legend-dash = 列中单独的 -：没有值（尚未读取，或此 cgroup 没有该文件：其控制器未启用）
legend-cut = …：为适应宽度而截断的文本（详情窗格和 w 窗格显示全文）
legend-oom = OOM-KILL：最近 5 秒内发生过 OOM 杀进程（该行也会高亮）
legend-stale = ~12.3（变暗）：最近几个间隔内没有读取的值（该行不在屏幕上）；回放时按记录显示每个值，不带 ~；表头 CPU 或 mem 中的 ~：总计中包含这样的值
legend-sparklines = 迷你图：▁…█ 最高到标题中的上限（CPU：CPU 数 × 100 % 或 cpu.max 配额；配置 cpu_scale = "peak" 时为所显示的最大值），· 为零，空白为没有样本；变暗的列来自记录器的存储
legend-lessons = 课程：✓ 已完成的步骤，▶ 现在要做的步骤，· 尚未进行的步骤
legend-events = 新的 cgroup、有进程/冻结状态的变化和 OOM 杀进程通过 inotify 立即到达；计数器（cpu.stat、memory.current、io.stat……）每个间隔轮询一次。
legend-asks = 每次修改前都会显示内核的预测答复，并先征求你的确认。
legend-mouse = 鼠标：单击选中一行（树、进程列表、对话框中的列表），单击已选中的行会展开它，在对话框中则相当于 Enter；单击列标题按该列排序；确认框的 yes 和 no 按钮可直接点击作答；对话框旁边的点击不起作用；滚轮滚动（--no-mouse 把鼠标留给终端）。
legend-config = 配置：$XDG_CONFIG_HOME/cgtui/config.toml（或 --config FILE）：interval、columns、sort、theme、color、cpu_scale，以及按动作名称重新绑定上述任意键的 [keys] 表。

lessons-title = 课程
lessons-pick = 按编号选择一节课：
lessons-open-few = 1-9 打开一节课
lessons-open-many = 1-9 打开一节课（用 ] [ 可到达全部 { $count } 节）
lessons-hint = 完成的步骤会自动打勾。{ $open } · ] [ 下一节/上一节 · 0 回到列表 · {"{"} {"}"} 滚动 · L 关闭
lessons-done = 完成。按 ] 进入下一节课。
lessons-lesson-title = 第 { $number } 课，共 { $count } 课
lessons-predict = 先预测，再验证：
lessons-you = 你的猜测：
lessons-kernel = 内核：
lessons-right = 对
lessons-wrong = 错
lessons-window = ── 第 { $first }-{ $last } 行，共 { $total } 行 · {"{"} {"}"} 滚动

# cgtui lessons --try：你的猜测与内核的实际答复。
exercise-heading = { $question }（课程 { $lesson }）
exercise-attempt = 以 { $student }（uid { $uid }）身份执行 { $attempt }
exercise-verdict = 你的猜测：{ $guess }   内核：{ $kernel }   { $mark }
exercise-right = 答对了
exercise-wrong = 答错了
exercise-why = 原因：{ $rule }
