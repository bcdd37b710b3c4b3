# JupyterHub configuration for a trial class on one machine (`make hub`; tests/browser/test_hub.py).
#
# `python -m tools.hub` starts `jupyterhub -f hub/jupyterhub_config.py` and passes the
# trial's settings in COURSE_HUB_* environment variables (below). Read it as a teacher's
# starting point: every setting says why it is there. For a real class on Kubernetes see
# the README's Zero to JupyterHub sketch; the course-specific settings are the same there.
import os
import sys
import tempfile

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

env = os.environ
state = env["COURSE_HUB_STATE"]              # the hub's database, cookie secret, homes
users = [u for u in env["COURSE_HUB_USERS"].split(",") if u]
course_dir = env.get("COURSE_HUB_COURSE_DIR", "loss-course")  # where nbgitpuller puts the course
threads = env.get("COURSE_HUB_THREADS", "1")

# --- only this machine can connect: hub, proxy and learners' servers on 127.0.0.1 -------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(env["COURSE_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["COURSE_HUB_INTERNAL_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['COURSE_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [env["COURSE_HUB_PROXY"]]  # configurable-http-proxy from npm
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server
c.JupyterHub.cleanup_proxy = True

# --- who may log in: a few learner accounts and one shared trial password, never an open hub ---
# (SharedPasswordAuthenticator: fine for a trial; a real class uses the institution's login)
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env["COURSE_HUB_PASSWORD"]
c.Authenticator.allowed_users = set(users)

# --- each learner: a separate process, their own home folder -----------------------------------
# SimpleLocalProcessSpawner runs every learner as this machine's user (no Unix accounts
# needed; JupyterHub says it gives no isolation between learners: a trial only). A class uses
# one container per learner (KubeSpawner, DockerSpawner) or one Unix account each.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(state, "homes", "{username}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]  # from the course's .venv
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.popen_kwargs = {"umask": 0o077}  # files, folders and kernel sockets: the learner's only
c.Spawner.args = [
    # kernels over Unix sockets in the learner's runtime folder, not loopback TCP (README: security)
    "--KernelManager.transport=ipc",
    # no calls home: the course runs offline
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers run as root; Jupyter refuses without it
    c.Spawner.args.append("--allow-root")

# A short runtime folder per learner: a kernel's socket paths must fit in 107 characters
# (sockaddr_un), which a deep home folder can exceed. Made 0700 by tools.hub.
runtime_root = env.get("COURSE_HUB_RUNTIME") or tempfile.mkdtemp(prefix="course-hub-run-")


def _course_root(spawner):
    return os.path.join(spawner.home_dir, course_dir)


def _runtime_dir(spawner):
    return os.path.join(runtime_root, spawner.user.name)


c.Spawner.environment = {
    # Each kernel imports the `helpers` of the course this learner pulled (not the copy
    # installed in the environment): PYTHONPATH comes before site-packages.
    "PYTHONPATH": _course_root,
    # Small CPU models: one thread each, so 80 learners on 16 cores do not start 80 × 16
    # threads. torch reads OMP_NUM_THREADS at start-up for its own thread count.
    "OMP_NUM_THREADS": threads,
    "MKL_NUM_THREADS": threads,
    "JUPYTER_RUNTIME_DIR": _runtime_dir,
    "NBGITPULLER_APP": "lab",  # an nbgitpuller link without urlpath opens JupyterLab
}


def _make_runtime_dir(spawner):
    os.makedirs(_runtime_dir(spawner), mode=0o700, exist_ok=True)


c.Spawner.pre_spawn_hook = _make_runtime_dir
