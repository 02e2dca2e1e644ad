# 内核写入规则的含义，按规则 id（crates/cgroupv2/src/rules.rs 的 Rule::meaning 的译文）。
rule-ok = 允许
rule-permission = 你不能写这个文件或目录（取决于它的属主和权限位，或者它是只读文件）
rule-migration-containment = 移动进程需要对源和目标的共同祖先的 cgroup.procs 有写权限
rule-namespace-scope = 启用 nsdelegate 时，移动的源和目标都必须位于你的 cgroup 命名空间之内
rule-nsdelegate-root-file = 启用 nsdelegate 时，在命名空间内部只能写 cgroup 命名空间根上列于 /sys/kernel/cgroup/delegate 中的文件
rule-controller-unavailable = 只有父 cgroup 提供（cgroup.controllers 中列出）的控制器才能启用
rule-controller-not-enabled = 这个文件属于父 cgroup 没有启用的控制器，所以它在这里不存在
rule-no-internal-process = 向子 cgroup 传递域控制器的 cgroup 自己不能容纳进程
rule-controller-in-use-by-child = 子 cgroup 仍启用某个控制器时，不能禁用它
rule-invalid-value = 文件的处理函数拒绝了这个值
rule-not-empty = 含有进程或子 cgroup 的 cgroup 不能删除
rule-descendant-limit = 本 cgroup 或某个祖先的 cgroup.max.descendants 或 cgroup.max.depth 已达上限
rule-threaded-topology = 这个修改不符合线程模式的状态：threaded、线程根（domain threaded）或 domain invalid
rule-no-such-process = 你的 PID 命名空间中没有这个进程
rule-no-such-device = 没有这个块设备，或者它是一个分区（限制只作用于整块磁盘）
rule-no-such-cgroup = 这个 cgroup（或它的父 cgroup）不存在
