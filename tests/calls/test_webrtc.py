"""Real Daphne, real WebRTC peers (aiortc) on loopback, signaling through our call room.

Daphne runs as a subprocess on a free 127.0.0.1 port against the test database (PostgreSQL: the test
database itself; SQLite: a file migrated for these tests). With REDIS_URL set, two Daphne processes
share the channels-redis layer and the peers are spread over both, so relaying crosses processes.
"""
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.webrtc, pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.asyncio, pytest.mark.timeout(120)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def _sqlite_file_url(tmp_path_factory):
    """SQLite test databases live in memory; Daphne is another process, so it gets a migrated file."""
    path = tmp_path_factory.mktemp("daphne-db") / "db.sqlite3"
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": "", "VAR_DIR": str(path.parent)}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=180)
    return url


@pytest.fixture
def server_env(transactional_db, request):
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        host = db["HOST"] or db.get("OPTIONS", {}).get("host") or "127.0.0.1"
        if host.startswith("/"):  # the Unix socket: the way to the host's PostgreSQL from a network namespace
            url = f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
        else:
            url = f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
        var_dir = tempfile.mkdtemp(prefix="daphne-var-")
    else:
        url = request.getfixturevalue("_sqlite_file_url")
        var_dir = str(Path(url.removeprefix("sqlite:///")).parent)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({"DATABASE_URL": url, "DATABASE_REPLICA_URL": "", "VAR_DIR": var_dir, "CELERY_EAGER": "true",
                "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING",
                "CHANNEL_PREFIX": f"webrtc{os.getpid()}"})
    if getattr(settings, "REDIS_URL", ""):
        env["REDIS_URL"] = settings.REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    yield env
    if connection.vendor == "postgresql":
        shutil.rmtree(var_dir, ignore_errors=True)


class Daphne:
    def __init__(self, env):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not start")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def daphnes(server_env):
    """One Daphne, or two sharing the Redis channel layer when REDIS_URL is set (started, maybe not ready)."""
    servers = [Daphne(server_env)]
    if "REDIS_URL" in server_env:
        servers.append(Daphne(server_env))
    yield servers
    for server in servers:
        server.stop()


async def prepare(daphnes, env, name: str) -> dict:
    """Create the scenario's data while the servers boot, then wait for them."""
    data = await asyncio.to_thread(scenario, env, name)
    for server in daphnes:
        await asyncio.to_thread(server.wait_ready)
    return data


def scenario(env, name: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.calls.webrtc_scenario", name], cwd=ROOT, env=env,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def api_get(server, path: str, cookie: str) -> dict:
    request = urllib.request.Request(f"{server.base_url}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _peer(name, server, data, key):
    from tests.calls.webrtc_peer import Peer

    return Peer(name, server.base_url, data["call_id"], data["cookies"][key])


async def _admitted_and_connected(agent, resident):
    await agent.open()
    await agent.wait_for(lambda: agent.state == "admitted")
    await resident.open()
    await resident.wait_for(lambda: resident.state == "waiting")
    await agent.send({"type": "admit", "all": True})
    await resident.wait_for(lambda: resident.state == "admitted")
    await resident.wait_for(lambda: resident.media_ok(agent.participant_id), timeout=30)
    await agent.wait_for(lambda: agent.media_ok(resident.participant_id), timeout=30)


async def test_two_peers_connect_through_daphne_and_exchange_data_and_video(daphnes, server_env):
    data = await prepare(daphnes, server_env, "booked")
    agent = _peer("agent", daphnes[0], data, "agent")
    resident = _peer("resident", daphnes[-1], data, "resident")
    try:
        await asyncio.wait_for(_admitted_and_connected(agent, resident), 60)
        assert "hello from agent" in resident.received[agent.participant_id]
        assert "hello from resident" in agent.received[resident.participant_id]
        assert resident.frames[agent.participant_id] >= 3 and agent.frames[resident.participant_id] >= 3
        detail = await asyncio.to_thread(api_get, daphnes[0], f"/api/v1/calls/{data['call_id']}/",
                                         data["cookies"]["agent"])
        assert detail["booking_status"] == "in_call"
        assert {"connection": "connected", "peer": agent.participant_id} in [
            e["detail"] for e in detail["events"] if e["kind"] == "media_state"]
    finally:
        await agent.close()
        await resident.close()


async def test_cut_socket_rejoins_and_the_peers_reconnect(daphnes, server_env):
    data = await prepare(daphnes, server_env, "booked")
    agent = _peer("agent", daphnes[0], data, "agent")
    resident = _peer("resident", daphnes[-1], data, "resident")
    try:
        await asyncio.wait_for(_admitted_and_connected(agent, resident), 60)
        first_pc = agent.pcs[resident.participant_id]
        await resident.cut()
        await agent.wait_for(lambda: agent.seen("peer-disconnected"))
        # Back on a new socket (on the other Daphne when there are two), same participant id.
        resident.url = resident.url.replace(daphnes[-1].base_url.replace("http", "ws"),
                                            daphnes[0].base_url.replace("http", "ws"))
        resident.origin = daphnes[0].base_url  # each test Daphne is its own origin (in production, one proxy's)
        old_id = resident.participant_id
        resident.messages.clear()
        for peer_id in list(resident.received):
            resident.received[peer_id] = []
        await resident.open(rejoin=True)
        await resident.wait_for(lambda: resident.seen("joined"))
        joined = resident.seen("joined")[0]
        assert joined["rejoined"] is True and joined["participant_id"] == old_id and joined["state"] == "admitted"
        await agent.wait_for(lambda: agent.seen("peer-rejoined"))
        await resident.wait_for(lambda: resident.media_ok(agent.participant_id, frames=3), timeout=30)
        await agent.wait_for(lambda: agent.pcs.get(old_id) is not None and agent.pcs[old_id] is not first_pc
                             and agent.media_ok(old_id), timeout=30)
    finally:
        await agent.close()
        await resident.close()


async def test_ad_hoc_three_party_call_all_connected(daphnes, server_env):
    data = await prepare(daphnes, server_env, "ad_hoc")
    agent = _peer("agent", daphnes[0], data, "agent")
    reviewer = _peer("reviewer", daphnes[-1], data, "reviewer")
    resident = _peer("resident", daphnes[0], data, "resident")
    peers = [agent, reviewer, resident]
    try:
        async def run():
            for peer in peers:  # the caller, then the county reviewer (joining answers), then the resident
                await peer.open()
                await peer.wait_for(lambda p=peer: p.state == "admitted")
            for peer in peers:
                for other in peers:
                    if other is not peer:
                        await peer.wait_for(lambda p=peer, o=other: p.media_ok(o.participant_id), timeout=30)

        await asyncio.wait_for(run(), 90)
        detail = await asyncio.to_thread(api_get, daphnes[0], f"/api/v1/calls/{data['call_id']}/",
                                         data["cookies"]["agent"])
        assert detail["status"] == "active"
        assert sorted(p["role"] for p in detail["participants"]) == ["caller", "resident", "staff"]
        assert {i["status"] for i in detail["invitations"]} == {"accepted"}
    finally:
        for peer in peers:
            await peer.close()
