# `cgtui explain` 和 `w` 窗格的框架（库的 Explanation::lines 的译文）。库计算出的细节
# （动作、管理者、说明）保持英文；每个拒绝之前给出规则含义的中文。
explain-header = { $cgroup } — 以 { $user }（uid { $uid }）的身份
explain-owners = 属主：
explain-owner = { $owner }（uid { $uid }）权限 { $mode }
explain-managed-by = 管理者：{ $manager }
explain-delegation = 委派根：{ $cgroup }{ $delegatee }（由 { $by }；控制器：{ $controllers }）
explain-delegatee = ，委派给 { $name }（uid { $uid }）
explain-no-delegation = 委派根：在这个 cgroup 及其上方没有委派给你的根
explain-namespace = nsdelegate：{ $nsdelegate }；你的 cgroup 命名空间：{ $namespace }
explain-on = 开
explain-off = 关
explain-namespace-initial = 初始命名空间
explain-namespace-rooted = 根位于 { $root }
explain-namespace-unknown = 不是初始命名空间（根未知）
explain-controllers = 控制器：
explain-controller-here = 在这里可用
explain-controller-stops = 止于 { $at }（它的 cgroup.subtree_control 中没有）
explain-controller-absent = 在这里不可用
explain-internal-process = no-internal-process：{ $note }
explain-abilities = 你在这里能做什么：
explain-yes = 能
explain-no = 不能
