# Scenario: containers and pods named from their paths alone (no engine runs in the guest): a
# Docker-shaped scope, a rootless-Podman-shaped scope in alice's user@1000.service and a
# Kubernetes-shaped pod slice with a containerd container, in snapshot --json and in the TUI.
# Measured: 78 s under TCG on this 2-CPU machine busy with other builds (load 10); budget with a wide margin:
# timeout: 240
. /host/lib.sh
DOCKER=3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a
PODMAN=9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b
CONTAINERD=77ab3c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
POD=1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e
G=/sys/fs/cgroup
docker_cg=$G/system.slice/docker-$DOCKER.scope
podman_cg=$G/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-$PODMAN.scope
pod_cg=$G/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD//-/_}.slice
S=names
cleanup() {
    tmux -L $S kill-server 2>/dev/null
    rmdir "$pod_cg/cri-containerd-$CONTAINERD.scope" "$pod_cg" "$G/kubepods.slice/kubepods-burstable.slice" "$G/kubepods.slice" "$docker_cg" 2>/dev/null
    as_alice rmdir "$podman_cg" 2>/dev/null
    [ "$made_user_slice" = 1 ] && as_alice rmdir "${podman_cg%/*}" 2>/dev/null
    true
}
trap cleanup EXIT

step "make the cgroups (root's, and alice's in her delegated subtree)"
mkdir -p "$docker_cg" "$pod_cg/cri-containerd-$CONTAINERD.scope" || fail "cannot make root's cgroups"
made_user_slice=0
[ -d "${podman_cg%/*}" ] || made_user_slice=1
as_alice mkdir -p "$podman_cg" || fail "alice cannot make $podman_cg"

step "snapshot --json"
cgtui snapshot --json >/tmp/names.json || fail "snapshot exited with $?"
w() { jq -c --arg p "$1" '.cgroups[] | select(.path == $p) | .workload' /tmp/names.json; }
docker=$(w "${docker_cg#$G}")
echo "docker: $docker"
jq -e '.kind == "docker" and .id == "3f2a4b5c6d7e" and .user == null and .name == null' <<<"$docker" >/dev/null ||
    fail "docker scope: $docker"
check "docker scope named" yes
podman=$(w "${podman_cg#$G}")
echo "podman: $podman"
jq -e '.kind == "podman" and .id == "9c8b7a6f5e4d" and .user == "alice"' <<<"$podman" >/dev/null ||
    fail "rootless podman scope: $podman"
check "rootless podman named with its user" yes
pod=$(w "${pod_cg#$G}")
container=$(w "${pod_cg#$G}/cri-containerd-$CONTAINERD.scope")
echo "pod: $pod"
echo "container: $container"
jq -e --arg uid "$POD" '.kind == "pod" and .pod_uid == $uid and .qos == "burstable"' <<<"$pod" >/dev/null ||
    fail "pod slice: $pod"
jq -e --arg uid "$POD" '.kind == "containerd" and .id == "77ab3c1d2e4f" and .pod_uid == $uid and .qos == "burstable"' <<<"$container" >/dev/null ||
    fail "pod container: $container"
check "kubernetes pod and container named" yes
jq -e '[.cgroups[].workload | keys] | all(. == ["id","kind","name","pod_uid","qos","session","user"])' /tmp/names.json >/dev/null ||
    fail "workload objects do not all have exactly the seven fields"
check "workload has exactly its fields" yes

step "the TUI in tmux, as root"
tmux -L $S new-session -d -s $S -x 160 -y 50 bash --norc --noprofile || fail "cannot start tmux"
keys() { tmux -L $S send-keys -t $S "$@"; }
keys 'cgtui --interval 60; echo CGTUI-EXIT=$?' Enter
pane_wait root $S "system.slice" 60000 >/dev/null || fail "the tree never showed"
filter_for() {
    keys Escape
    keys /
    keys -l "$1"
    keys Enter
}
filter_for "$DOCKER"
pane_wait root $S "docker 3f2a4b5c6d7e" 20000 >/dev/null || fail "the tree does not name the docker scope"
check "TUI names the docker scope" yes
filter_for "libpod-"
pane_wait root $S "podman 9c8b7a6f5e4d" 20000 >/dev/null || fail "the tree does not name the podman scope"
check "TUI names the podman scope" yes
filter_for "cri-containerd"
pane_wait root $S "containerd 77ab3c1d2e4f" 20000 >/dev/null || fail "the tree does not name the pod's container"
pane_wait root $S "pod 1b2c3d4e burstable" 20000 >/dev/null || fail "the tree does not name the pod"
check "TUI names the pod and its container" yes
keys v
pane_wait root $S "cri-containerd-77ab3c1d2e4f" 20000 >/dev/null || fail "v does not show the raw names"
check "v shows raw names" yes
keys q
pane_wait root $S "CGTUI-EXIT=0" 30000 >/dev/null || fail "q did not exit cleanly"
exit 0
