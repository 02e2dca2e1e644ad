# 帮助（?）的译文：按键说明（src/app/keymap/table.rs，按上下文和动作名）、上下文标题和列的含义
# （src/model/column.rs）。英文原文保留在代码中。

context-global = 任何地方
key-global-quit = 退出，任何地方都可用

context-main = 主视图
key-main-help = 帮助：所有按键（可滚动）
key-main-quit = 退出（仅在主视图）
key-main-filter = 按名称过滤；匹配项的祖先保持可见
key-main-edit = 编辑限制：这里存在的限制文件及其值
key-main-controllers = 为子 cgroup 启用/禁用控制器（cgroup.subtree_control），需确认
key-main-explain = 谁在这里能做什么：属主、委派、每个动作的预测结果
key-main-lessons = 课程面板：边做边打勾的引导式练习
key-main-switch_pane = 在树和进程列表之间切换
key-main-sort = 按下一个显示的列排序
key-main-sort_reverse = 反转排序顺序
key-main-freeze = 冻结或解冻（cgroup.freeze），需确认
key-main-new = 新建子 cgroup（mkdir）
key-main-remove = 删除 cgroup（rmdir）或停止一个 playground，需确认
key-main-kill = 杀死其中及其下所有进程（cgroup.kill），需确认
key-main-undo = 撤销：你的修改列表，默认选中本次会话最近的一项；需确认
key-main-messages = 消息日志：每个结果和拒绝的完整文字
key-main-subtree = 只显示选中的子树
key-main-back = 回到上一个顶层
key-main-details = 隐藏或显示详情窗格
key-main-raw_names = 显示原始 cgroup 名称而不是工作负载名称（docker 3f2a4b5c6d7e、pod …、session 3）
key-main-details_smaller = 缩小详情窗格
key-main-details_larger = 放大详情窗格
key-main-slower = 降低计数器的轮询频率
key-main-faster = 提高计数器的轮询频率（最短 0.1 秒）
key-main-move = 移动在进程列表中选中的进程：然后在目标上按 Enter
key-main-persist = 把最近设置的限制持久化（systemd），需确认
key-main-playground = 启动一个委派的 playground：属于你自己的 scope，不需要 root
key-main-own = 跳到 cgtui 自己的 cgroup
key-main-up = 上移（在有焦点的窗格中）
key-main-down = 下移
key-main-page_up = 上翻一页
key-main-page_down = 下翻一页
key-main-first = 第一行
key-main-last = 最后一行
key-main-expand = 展开，或转到第一个子 cgroup
key-main-collapse = 折叠，或转到父 cgroup
key-main-activate = 展开或折叠该行
key-main-expand_all = 展开该行下的所有内容
key-main-cancel = 取消移动、离开进程列表、清除过滤（从不退出）

context-filtered = 过滤生效时
key-filtered-next_match = 下一个匹配
key-filtered-prev_match = 上一个匹配

context-processes = 在进程列表中（Tab）
key-processes-activate = 显示进程：完整命令行、用户、状态

context-moving = 移动进程时
key-moving-move_here = 把进程移入选中的 cgroup，需确认

context-lessons = 课程面板打开时（L）
key-lessons-lesson_n = 1-9：打开那一节课
key-lessons-lesson_next = 下一节课
key-lessons-lesson_prev = 上一节课
key-lessons-lesson_list = 回到课程列表
key-lessons-lesson_scroll_down = 向下滚动课程（半个面板）
key-lessons-lesson_scroll_up = 向上滚动课程

context-filter-input = 输入过滤条件时（/）
key-filter-input-filter_keep = 保留过滤并回到树
key-filter-input-filter_clear = 清除过滤，停留在选中的 cgroup 上
key-filter-input-next_match = 下一个匹配
key-filter-input-prev_match = 上一个匹配
key-filter-input-delete_back = 删除一个字符
key-filter-input-clear_text = 清空过滤文字，输入框保持打开
key-filter-input-type = 输入过滤条件；边输入边生效

context-help = 帮助
key-help-up = 向上滚动
key-help-down = 向下滚动
key-help-page_up = 上翻一页
key-help-page_down = 下翻一页
key-help-first = 到顶部
key-help-last = 到末尾
key-help-close = 关闭帮助

context-form = 限制表单和控制器列表
key-form-up = 上一行
key-form-down = 下一行
key-form-first = 第一行
key-form-last = 最后一行
key-form-activate = 编辑限制 / 切换控制器（需确认）
key-form-direct_write = 限制：即使 systemd 管理它也直接写文件（需确认）
key-form-close = 关闭

context-input = 文本输入框
key-input-submit = 写入这个值：先询问，并附上内核的预测答复
key-input-close = 取消
key-input-cursor_left = 光标左移
key-input-cursor_right = 光标右移
key-input-cursor_home = 光标到开头
key-input-cursor_end = 光标到末尾
key-input-delete_back = 删除光标前的字符
key-input-delete_forward = 删除光标处的字符
key-input-clear_text = 清空输入框
key-input-type = 输入；当前值已选中，输入即替换它

context-confirm = 确认
key-confirm-confirm = 是：执行修改
key-confirm-close = 否：其他任意键取消

context-text = 文本窗格（w、消息、进程、结果）
key-text-up = 向上滚动
key-text-down = 向下滚动
key-text-page_up = 上翻一页
key-text-page_down = 下翻一页
key-text-first = 到顶部
key-text-last = 到末尾
key-text-fix = 被拒绝之后：应用建议的修复（需确认）
key-text-close = 关闭

context-replay = 回放记录的历史时（cgtui replay）
key-replay-replay_prev_sample = 后退一个记录的样本
key-replay-replay_next_sample = 前进一个记录的样本
key-replay-replay_minute_back = 后退一分钟
key-replay-replay_minute_forward = 前进一分钟
key-replay-replay_10_minutes_back = 后退十分钟
key-replay-replay_10_minutes_forward = 前进十分钟
key-replay-replay_hour_back = 后退一小时
key-replay-replay_hour_forward = 前进一小时
key-replay-replay_prev_event = 到上一个记录的事件（OOM 杀进程、限制的修改……）
key-replay-replay_next_event = 到下一个记录的事件
key-replay-replay_go_to = 跳到某个时间，写法同 --at（2026-12-01T03:12:00Z、03:12、-2h、yesterday 03:00；UTC）

column-name = cgroup 的名称，按深度缩进
column-cpu = CPU 使用，100 = 一个 CPU
column-throttled = cpu.max 周期中被节流的比例，以及每秒被节流的时间
column-mem = memory.current
column-memlim = memory.max 和 memory.high 中较低的一个
column-mempct = memory.current 占该限制的百分比
column-swap = memory.swap.current
column-ioread = 每秒读取的字节数（io.stat）
column-iowrite = 每秒写入的字节数（io.stat）
column-io = 每秒读写的字节数
column-pids = pids.current
column-psi = cpu/memory/io 压力的 some avg10
column-oom = memory.events oom：达到限制，调用了 OOM killer
column-oomkill = memory.events oom_kill：被杀死的进程数

# The flat list, the subtree's processes, signals, the column chooser and thresholds.
key-main-flat = 列出顶层以下的所有 cgroup（整体排序的平铺列表），或回到树
key-main-columns = 选择列：显示、隐藏、调整顺序、保存
key-main-next_critical = 选中下一个超过某列临界阈值的 cgroup
key-processes-all_processes = 只看该 cgroup 自己的进程，或其整个子树的所有进程（附所在 cgroup）
key-processes-signal = 给进程发送信号：先选信号（TERM、INT、HUP、KILL……），再确认
key-processes-sort = 按下一列对进程排序
key-processes-sort_reverse = 反转进程的顺序
context-columns = 列选择器（C）
key-columns-up = 上一列
key-columns-down = 下一列
key-columns-activate = 显示或隐藏该列（立即生效）
key-columns-column_earlier = 把该列前移（向左）
key-columns-column_later = 把该列后移（向右）
key-columns-save_columns = 把列保存到配置文件（保留注释和其他键）
key-columns-close = 关闭
column-wss = 工作集：memory.current 减去不活跃的页缓存（memory.stat）
column-anon = 匿名内存：堆、栈、私有映射（memory.stat 的 anon）
key-main-processes_in_tree = 树中的进程：展开的 cgroup 在其下方列出最忙的进程
context-tree-process = 在树中的进程行上（p）
key-tree-process-activate = 显示该行的进程：完整命令行、用户、状态、CPU、RSS
key-tree-process-signal = 给该行的进程发送信号：先选信号，再确认
