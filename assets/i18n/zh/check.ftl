# `cgtui check`：对一次修改的判断（src/commands/check.rs）。
check-allowed = 允许：{ $op } { $target }：{ $explanation }
check-denied = 拒绝：{ $op } { $target }：内核将返回 { $errno } [{ $rule }]
check-instead = 可以改为：{ $fix }
check-see = 参见 { $doc }
check-converted = cgtui 实际写入 { $writes }（由 { $typed } 换算而来）
check-warning = 警告：{ $warning }
check-the-write = 写入命令：{ $command }
