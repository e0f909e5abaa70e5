"""Two app servers (gunicorn) sharing PostgreSQL, Redis and S3, behind nginx with its page
cache: the production setup of cms/deploy/, started for the integration tests and the load
benchmark, and stopped after. Needs the S3 gateway of tests/scale/services.py (its S3_*
environment variables)."""

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import psycopg
import redis

from tests.scale.services import REDIS, free_port, share, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "cms" / "deploy"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_PASSWORD = "two-nodes-admin-2026"  # noqa: S105 - a throwaway local site


@dataclass
class Nodes:
    nginx: str
    app: list
    env: dict
    folder: Path
    database: str = ""  # the two nodes' PostgreSQL database
    processes: dict = field(default_factory=dict)

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result

    def stop(self, name):
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def recreate_database(name):
    with psycopg.connect(ADMIN_DSN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")


def drop_database(name):
    with psycopg.connect(ADMIN_DSN, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def nginx_config(
    folder, port, app_ports, secret, s3_renditions_url="", media_conf="media-s3.conf"
):
    values = {
        "CACHE_DIR": str(folder / "nginx-cache"),
        "UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in app_ports),
        "LISTEN": f"127.0.0.1:{port}",
        "SERVER_NAMES": "127.0.0.1 localhost",
        "FRONTEND_CACHE_SECRET": secret,
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_CONF": str(folder / "media.conf"),
        "S3_RENDITIONS_URL": s3_renditions_url,
        "MEDIA_ROOT": str(folder / "media"),
    }

    def fill(name):
        # ${NAME} only: nginx's own $variables stay as they are.
        text = Template((DEPLOY / "nginx" / name).read_text()).safe_substitute(values)
        assert "${" not in text, f"{name}: a value is missing"
        return text

    (folder / "media.conf").write_text(fill(media_conf))
    (folder / "catalogue.conf").write_text(fill("catalogue.conf"))
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'nginx-error.log'};\n"
        + ("user root root;\n" if os.geteuid() == 0 else "")
        + "events {}\nhttp {\n"
        + "  include /etc/nginx/mime.types;\n"
        + f"  access_log off;\n  client_body_temp_path {folder / 'nginx-body'};\n"
        + f"  proxy_temp_path {folder / 'nginx-proxy'};\n"
        + f"  include {folder / 'catalogue.conf'};\n}}\n"
    )
    return main


def start(nodes, name, command, env):
    nodes.processes[name] = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(nodes.folder / f"{name}.log", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )


def gunicorn_command():
    return [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "cms.wsgi"]


def nginx_command(config):
    return ["nginx", "-c", str(config), "-p", str(config.parent), "-g", "daemon off;"]


@contextlib.contextmanager
def one_node_local_media():
    """The embedded default in production: one gunicorn, SQLite, media on the local disk,
    nginx serving static files and renditions from MEDIA_ROOT (media-local.conf)."""
    folder = Path(tempfile.mkdtemp(prefix="catalogue-node-"))
    folder.chmod(0o755)
    nginx_port, app_port = free_port(), free_port()
    skip = ("DATABASE_URL", "REDIS", "S3_", "FRONTEND_CACHE_URL")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(skip)},
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FRONTEND_CACHE_SECRET": secrets.token_urlsafe(32),
        "HTTPS": "false",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "TASKS_BACKEND": "immediate",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
    }
    nodes = Nodes(f"http://127.0.0.1:{nginx_port}", [f"http://127.0.0.1:{app_port}"], env, folder)
    try:
        nodes.manage("migrate", "--noinput")
        nodes.manage("collectstatic", "--noinput")
        start(nodes, "app", gunicorn_command(), env)
        config = nginx_config(
            folder,
            nginx_port,
            [app_port],
            env["FRONTEND_CACHE_SECRET"],
            media_conf="media-local.conf",
        )
        start(nodes, "nginx", nginx_command(config), env)
        for port in (app_port, nginx_port):
            wait_for_port(port, 60, "gunicorn or nginx")
        yield nodes
    finally:
        for name in list(nodes.processes):
            nodes.stop(name)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def two_nodes(gunicorn_workers=2):
    """Two gunicorns on loopback ports behind nginx; yields a Nodes. Its buckets, Redis
    databases and PostgreSQL database are this xdist worker's (tests/scale/services.py)."""
    mine = share(os.environ.get("PYTEST_XDIST_WORKER"))
    folder = Path(tempfile.mkdtemp(prefix="catalogue-nodes-"))
    nginx_port, *app_ports = (free_port() for _ in range(3))
    nginx_url = f"http://127.0.0.1:{nginx_port}"
    s3_renditions = f"{os.environ['S3_ENDPOINT_URL']}/{mine.nodes_renditions_bucket}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{mine.nodes_database}",
        "REDIS_URL": f"{REDIS}/{mine.nodes_redis_db}",  # and the next: not the test suite's
        "S3_BUCKET": mine.nodes_media_bucket,
        "S3_RENDITIONS_BUCKET": mine.nodes_renditions_bucket,
        "S3_PUBLIC_URL": f"{nginx_url}/media",
        "FRONTEND_CACHE_URL": nginx_url,
        "FRONTEND_CACHE_SECRET": secrets.token_urlsafe(32),
        # nginx passes its Host without the port: the browser's Origin names it.
        "CSRF_TRUSTED_ORIGINS": nginx_url,
        "WAGTAILADMIN_BASE_URL": nginx_url,
        "TASKS_BACKEND": "database",  # as in production: a worker runs the tasks
        "STATIC_ROOT": str(folder / "static"),
        "GUNICORN_WORKERS": str(gunicorn_workers),
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
    }
    # Empty caches, as the database and buckets are new: a rendition cached by an earlier run
    # (same image id, same file hash) would point at a file that is gone.
    for db in (mine.nodes_redis_db, mine.nodes_redis_db + 1):
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
    nodes = Nodes(
        nginx_url,
        [f"http://127.0.0.1:{p}" for p in app_ports],
        env,
        folder,
        database=mine.nodes_database,
    )
    recreate_database(nodes.database)
    try:
        nodes.manage("migrate", "--noinput")
        nodes.manage("collectstatic", "--noinput")
        nodes.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "admin@catalogue.example",
        )
        nodes.manage(
            "shell",
            "-c",
            "from wagtail.models import Site; "
            f"Site.objects.update(hostname='127.0.0.1', port={nginx_port})",
        )
        folder.chmod(0o755)
        for name, port in zip(("a", "b"), app_ports, strict=True):
            start(nodes, name, gunicorn_command(), {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"})
        start(
            nodes, "worker", [sys.executable, "manage.py", "db_worker", "--interval", "0.2"], env
        )
        config = nginx_config(
            folder, nginx_port, app_ports, env["FRONTEND_CACHE_SECRET"], s3_renditions
        )
        start(nodes, "nginx", nginx_command(config), env)
        for port in (*app_ports, nginx_port):
            wait_for_port(port, 60, "gunicorn or nginx")
        yield nodes
    finally:
        for name in list(nodes.processes):
            nodes.stop(name)
        if os.environ.get("KEEP_NODES_LOGS"):
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        drop_database(nodes.database)
