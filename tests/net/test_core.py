"""weftd's core against a private bus: D-Bus API, errors, reload, weftctl, loader (issue 2)."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Testbed, wait_until  # noqa: E402
from harness.proc import run  # noqa: E402

BUILD = Path(os.environ.get("WEFT_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
SOURCE = Path(os.environ.get("WEFT_SOURCE_DIR", Path(__file__).resolve().parents[2]))
PROBE = BUILD / "tests" / "plugins" / "probe"
GOOD = "[Probe]\nDevice=eth0\nDestinations=203.0.113.0/24\n"


class CoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = Testbed(hosts=1).__enter__()
        cls.h = cls.tb.hosts[0]

    @classmethod
    def tearDownClass(cls):
        cls.tb.close()

    def setUp(self):
        self.h.stop_weftd()
        self.h.write_config("probe.conf", GOOD)
        self.h.start_weftd(["probe"], plugin_dirs=[PROBE])

    def tearDown(self):
        self.h.stop_weftd()

    def plugin_state(self, name):
        return json.loads(self.h.weftctl("status", "--json", check=True).stdout)

    def test_introspection_shows_the_manager(self):
        out = self.h.busctl("introspect", "org.weft.Weft1", "/org/weft/Weft1", check=True).stdout
        for member in ("org.weft.Weft1.Manager", ".Reload", ".ListPlugins", ".Describe", ".Version", ".State"):
            self.assertIn(member, out)
        out = self.h.busctl("introspect", "org.weft.Weft1", "/org/weft/Weft1/plugin/probe", check=True).stdout
        for member in ("org.weft.Weft1.Plugin", ".LastError", "org.weft.Weft1.Probe", ".Echo"):
            self.assertIn(member, out)

    def test_weftctl_json_is_valid_and_stable(self):
        status = self.plugin_state("probe")
        self.assertEqual(list(status.keys()), ["version", "state", "plugins"])
        self.assertEqual(status["plugins"][0]["name"], "probe")
        self.assertEqual(status["plugins"][0]["state"], "running")
        describe = json.loads(self.h.weftctl("describe", check=True).stdout)
        self.assertEqual(describe["plugins"][0]["status"], {"elements": 1})
        plugins = json.loads(self.h.weftctl("plugins", "--json", check=True).stdout)
        self.assertEqual(plugins[0]["objectPath"], "/org/weft/Weft1/plugin/probe")
        text = self.h.weftctl("status", check=True).stdout
        self.assertIn("probe", text)
        self.assertNotIn("\033[", text, "no colour when not on a TTY")

    def test_plugin_method_errors_are_named(self):
        ok = self.h.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/probe", "org.weft.Weft1.Probe",
                           "Echo", "s", "hi", check=True).stdout
        self.assertEqual(ok.strip(), 's "hi"')
        bad = self.h.busctl("call", "org.weft.Weft1", "/org/weft/Weft1/plugin/probe", "org.weft.Weft1.Probe",
                            "Echo", "s", "")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("text: must not be empty", bad.stderr)

    def test_invalid_reload_changes_nothing_and_names_every_error(self):
        before = self.h.nft("list", "set", "inet", "weft_probe", "dst4").stdout
        self.h.write_config("probe.conf", "[Probe]\nDevice=eth0\nDestinatons=10.0.0.0/8\nElements=x\n")
        r = self.h.weftctl("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("probe.conf:3: [Probe] Destinatons: unknown key 'Destinatons'; did you mean 'Destinations'?", r.stderr)
        self.assertIn("probe.conf:4: [Probe] Elements: 'x' is not an integer", r.stderr)
        self.assertIn("configuration refused", r.stderr, "weftctl maps org.weft.Weft1.Error.InvalidConfig")
        self.assertEqual(self.h.nft("list", "set", "inet", "weft_probe", "dst4").stdout, before)
        self.assertEqual(self.plugin_state("probe")["plugins"][0]["state"], "running")

    def test_valid_reload_and_sighup_apply(self):
        self.h.write_config("probe.conf", "[Probe]\nDevice=eth0\nDestinations=198.51.100.0/24\n")
        self.h.weftctl("reload", check=True)
        self.assertIn("198.51.100.0/24", self.h.nft("list", "set", "inet", "weft_probe", "dst4").stdout)
        self.h.write_config("probe.conf.d/10-more.conf", "[Probe]\nDestinations=192.0.2.128/25\n")
        self.h.weftd.send_signal(signal.SIGHUP)
        wait_until(lambda: "192.0.2.128/25" in self.h.nft("list", "set", "inet", "weft_probe", "dst4").stdout, 5,
                   message="SIGHUP reload")
        (self.h.root / "etc/weft/probe.conf.d/10-more.conf").unlink()

    def test_non_root_may_read_but_not_change(self):
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        read = self.h.run(nobody + ["busctl", f"--address={self.h.bus_address}", "get-property", "org.weft.Weft1",
                                    "/org/weft/Weft1", "org.weft.Weft1.Manager", "Version"], check=False)
        self.assertEqual(read.returncode, 0, read.stderr)
        denied = self.h.run(nobody + ["busctl", f"--address={self.h.bus_address}", "call", "org.weft.Weft1",
                                      "/org/weft/Weft1", "org.weft.Weft1.Manager", "Reload"], check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("denied", denied.stderr.lower())
        ctl = self.h.run(nobody + [str(BUILD / "cli" / "weftctl"), "reload"], check=False)
        self.assertEqual(ctl.returncode, 1)
        self.assertIn("denied", ctl.stderr.lower())

    def test_state_changes_are_announced(self):
        mon = self.h.popen(["busctl", f"--address={self.h.bus_address}", "monitor", "--json=short",
                            "--match", "type='signal',interface='org.freedesktop.DBus.Properties'"],
                           stdout=subprocess.PIPE)
        time.sleep(0.5)
        self.h.write_config("probe.conf", GOOD + "Fail=yes\n")
        self.h.weftctl("reload", check=True)
        wait_until(lambda: self.plugin_state("probe")["plugins"][0]["state"] == "failed", 5)
        time.sleep(0.5)
        mon.kill()
        out = mon.stdout.read().decode()
        self.assertIn("PropertiesChanged", out)
        self.assertIn("probe asked to fail", out)
        status = self.plugin_state("probe")
        self.assertEqual(status["state"], "degraded")
        self.assertEqual(status["plugins"][0]["lastError"], "probe asked to fail")

    def test_failed_plugins_do_not_stop_the_others(self):
        self.h.stop_weftd()
        self.h.write_config("wireguard-mesh.conf", "[Mesh]\nListenPort=99999\n")
        self.h.start_weftd(["probe", "nosuch", "wireguard-mesh"], plugin_dirs=[PROBE])
        plugins = {p["name"]: p for p in self.plugin_state("probe")["plugins"]}
        self.assertEqual(plugins["probe"]["state"], "running")
        self.assertEqual(plugins["nosuch"]["state"], "failed")
        self.assertIn("plugin nosuch not found", plugins["nosuch"]["lastError"])
        self.assertEqual(plugins["wireguard-mesh"]["state"], "failed")
        self.assertIn("wireguard-mesh.conf:2: [Mesh] ListenPort:", plugins["wireguard-mesh"]["lastError"])
        (self.h.root / "etc/weft/wireguard-mesh.conf").unlink()

    def test_weftctl_says_when_weftd_is_not_running(self):
        self.h.stop_weftd()
        r = self.h.weftctl("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("weftd is not running", r.stderr)


class OutOfTreePluginTest(unittest.TestCase):
    """examples/out-of-tree-plugin builds against the installed SDK only, and weftd loads it."""

    def test_build_against_installed_sdk_and_load(self):
        dest = Path("/tmp/weft-sdk-install-test")
        run(["rm", "-rf", str(dest)])
        run(["meson", "install", "-C", str(BUILD), "--destdir", str(dest), "--quiet"], timeout=300)
        pcs = list(dest.rglob("weft-plugin.pc"))
        self.assertTrue(pcs, "weft-plugin.pc is installed")
        env = {"PKG_CONFIG_PATH": str(pcs[0].parent), "PKG_CONFIG_SYSROOT_DIR": str(dest),
               "LIBRARY_PATH": str(pcs[0].parent.parent)}
        out = dest / "example-build"
        run(["meson", "setup", str(out), str(SOURCE / "examples" / "out-of-tree-plugin")], env=env, timeout=300)
        run(["meson", "compile", "-C", str(out)], env=env, timeout=300)
        with Testbed(hosts=2) as tb:
            a, b = tb.hosts
            a.write_config("blocklist.conf", f"[Blocklist]\nPrefixes={b.addr4}/32\n")
            a.start_weftd(["blocklist"], plugin_dirs=[out])
            status = json.loads(a.weftctl("status", "--json", check=True).stdout)
            self.assertEqual(status["plugins"][0]["state"], "running", status)
            self.assertFalse(a.ping(b.addr4, count=1, timeout=2), "the blocked host must be unreachable")
            self.assertTrue(a.ping(b.addr6, count=1))
        run(["rm", "-rf", str(dest)])


if __name__ == "__main__":
    unittest.main()
