# `cgtui check`: the verdict on one change (src/commands/check.rs).
check-allowed = allowed: { $op } { $target }: { $explanation }
check-denied = denied: { $op } { $target }: the kernel will answer { $errno } [{ $rule }]
check-instead = what to do instead: { $fix }
check-see = see { $doc }
check-converted = cgtui writes { $writes } (converted from { $typed })
check-warning = warning: { $warning }
check-the-write = the write: { $command }
