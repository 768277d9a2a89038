"""Running commands, and killing what runs inside our namespaces."""
import os
import signal
import subprocess


def run(argv, check=True, timeout=60, env=None, input=None):
    """subprocess.run with text output; raises with stdout/stderr on failure when check."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env, input=input)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def netns_list():
    r = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def kill_netns_processes(ns):
    """SIGKILLs every process whose network namespace is `ns` (what `ip netns pids` reports)."""
    r = run(["ip", "netns", "pids", ns], check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def delete_netns(ns):
    kill_netns_processes(ns)
    run(["ip", "netns", "del", ns], check=False)
