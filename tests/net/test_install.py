"""The README's install, exactly (issue 15): `meson install` at the build's prefix (default
/usr/local, no DESTDIR, no ldconfig) gives a weftd that starts with no arguments under the
distribution's own system bus configuration (/usr/share/dbus-1/system.conf, which denies
owning any name not allowed by a policy it reads), and weftctl reaches it.

Everything happens in a private mount and network namespace: /usr/local and the runtime
directories are fresh tmpfs, /etc and /usr/share/dbus-1/system.d are overlays whose writes
vanish with the namespace, so the host is not touched. A weft installed on the host itself
cannot make this pass: its bus policies and ld.so.cache entries are removed in the namespace
first."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import wait_until  # noqa: E402
from harness.proc import run  # noqa: E402

BUILD = Path(os.environ.get("WEFT_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
BUS_POLICY_DIRS = ["/usr/share/dbus-1/system.d", "/etc/dbus-1/system.d"]
FRESH_DIRS = ["/usr/local", "/run/dbus", "/run/weft", "/var/lib/weft"]
OVERLAID_DIRS = ["/etc", "/usr/share/dbus-1/system.d"]


def build_option(name):
    options = json.loads((BUILD / "meson-info" / "intro-buildoptions.json").read_text())
    return next(o["value"] for o in options if o["name"] == name)


def namespace_script(scratch):
    """Shell commands that make the private mounts, then keep the namespace alive."""
    cmds = [f"mount -t tmpfs -o mode=0755 weft-install-test {scratch}"]
    for d in FRESH_DIRS:
        cmds.append(f"mkdir -p {d} && mount -t tmpfs -o mode=0755 weft-install-test {d}")
    for i, d in enumerate(OVERLAID_DIRS):
        upper, work = f"{scratch}/upper{i}", f"{scratch}/work{i}"
        cmds.append(f"mkdir -p {upper} {work} && mount -t overlay weft-install-test "
                    f"-o lowerdir={d},upperdir={upper},workdir={work} {d}")
    return " && ".join(cmds) + " && echo ready && exec sleep infinity"


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = build_option("prefix")
        if cls.prefix != "/usr/local":
            raise unittest.SkipTest(f"the build's prefix is {cls.prefix}, not the README's /usr/local")
        cls.scratch = tempfile.mkdtemp(prefix="weft-install-test-")  # not "weftt-": the testbed sweeps those
        cls.procs = []
        cls.anchor = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c",
             namespace_script(cls.scratch)], stdout=subprocess.PIPE, text=True)
        if cls.anchor.stdout.readline().strip() != "ready":
            cls.tearDownClass()
            raise RuntimeError("mount namespace setup failed")

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        if cls.anchor.poll() is None:
            cls.anchor.kill()
        cls.anchor.wait()
        cls.anchor.stdout.close()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    @classmethod
    def env(cls):
        """The environment of a freshly logged-in root: no test bus, no systemd notify socket."""
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("DBUS_", "NOTIFY_", "LD_", "WEFT_"))}
        e["NO_COLOR"] = "1"
        return e

    @classmethod
    def enter(cls, argv):
        return ["nsenter", "-t", str(cls.anchor.pid), "-m", "-n", "--"] + list(argv)

    @classmethod
    def run_in(cls, argv, check=True, timeout=60):
        return run(cls.enter(argv), check=check, timeout=timeout, env=cls.env())

    @classmethod
    def popen_in(cls, argv, log):
        p = subprocess.Popen(cls.enter(argv), stdout=log, stderr=subprocess.STDOUT, env=cls.env())
        cls.procs.append(p)
        return p

    def test_installed_weftd_starts_on_the_distributions_system_bus(self):
        # A system on which weft was never installed: no weft policy, no cached libweft-sdk.
        self.run_in(["sh", "-c", "rm -f " + " ".join(f"{d}/org.weft.Weft1.conf" for d in BUS_POLICY_DIRS)
                     + " && ldconfig"])
        self.run_in(["meson", "install", "-C", str(BUILD), "--no-rebuild", "--quiet"], timeout=120)
        self.run_in(["sh", "-c", "mkdir -p /etc/weft && "
                     "printf '[Daemon]\\nPlugins=exemption-rules\\n' > /etc/weft/weftd.conf"])

        log_dir = Path(self.scratch)
        with open(log_dir / "dbus.log", "w") as bus_log:
            bus = self.popen_in(["dbus-daemon", "--system", "--nofork", "--nopidfile"], bus_log)
        wait_until(lambda: self.run_in(["test", "-S", "/run/dbus/system_bus_socket"], check=False).returncode == 0,
                   10, message="the system bus socket")
        weftd_log_path = log_dir / "weftd.log"
        with open(weftd_log_path, "w") as weftd_log:
            weftd = self.popen_in(["/usr/local/sbin/weftd"], weftd_log)

        def answers_or_exited():
            return weftd.poll() is not None or \
                self.run_in(["/usr/local/bin/weftctl", "status"], check=False).returncode == 0

        wait_until(answers_or_exited, 20, message="weftctl status to answer")
        if weftd.poll() is not None:
            self.fail(f"weftd exited ({weftd.returncode}):\n{weftd_log_path.read_text()}")
        status = json.loads(self.run_in(["/usr/local/bin/weftctl", "status", "--json"]).stdout)
        self.assertEqual([(p["name"], p["state"]) for p in status["plugins"]], [("exemption-rules", "running")],
                         status)
        # The installed policy is the one in force: others may read, not change.
        denied = self.run_in(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                              "/usr/local/bin/weftctl", "reload"], check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("access denied", denied.stderr)
        self.assertEqual(self.run_in(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                      "/usr/local/bin/weftctl", "status"], check=False).returncode, 0)
        self.assertIsNone(bus.poll(), "the system bus must still run")


if __name__ == "__main__":
    unittest.main()
