"""`serve --workers N`: N processes answer on one port; a worker that dies is logged and started
again; SIGTERM to the parent drains every worker; a worker that cannot start stops the server."""

from __future__ import annotations

import os
import queue
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.processes import SERVE, LoggedProcess, ServerProcess, clean_env
from inventory.v1 import inventory_count_pb2 as pb
from inventory.v1.inventory_count_pb2_grpc import InventoryCountServiceStub
from inventory_service.domain.identity import Role
from tests.helpers import TEST_SECRET, auth, error_info

WORKERS = 2


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[ServerProcess]:
    args = ["--listen", "127.0.0.1:0", "--workers", str(WORKERS)]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    env = clean_env(INVENTORY_JWT_SECRET=TEST_SECRET)
    with ServerProcess("workers", args, env, tmp_path) as server:
        server.wait_for(lambda r: len(server.messages("serving")) >= WORKERS)
        yield server


def _healthy_on_a_new_connection(port: int) -> bool:
    # A new channel is a new connection, which the kernel gives to one of the workers.
    with grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
    ) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )
        return answer.status == health_pb2.HealthCheckResponse.SERVING


def test_workers_share_the_port_and_a_dead_one_is_started_again(workers: ServerProcess) -> None:
    pids = workers.worker_pids()
    assert len(pids) == WORKERS
    serving_pids = {r["pid"] for r in workers.messages("serving")}
    assert serving_pids == set(pids)  # every worker serves the one port
    assert all(_healthy_on_a_new_connection(workers.port) for _ in range(10))

    mark = workers.mark()
    os.kill(pids[0], signal.SIGKILL)
    died = workers.wait_for(
        lambda r: r.get("message") == "worker died; starting it again", after=mark
    )
    assert (died["worker_pid"], died["signal"]) == (pids[0], "SIGKILL")
    workers.wait_for(lambda r: r.get("message") == "serving" and r["pid"] not in pids, after=mark)
    assert len(set(workers.worker_pids())) == WORKERS
    assert all(_healthy_on_a_new_connection(workers.port) for _ in range(10))


def test_sigterm_drains_every_worker_and_exits_0(workers: ServerProcess) -> None:
    # A scanner stream open on one of the workers is told to reconnect, not cut.
    requests: queue.Queue[pb.StreamCountItemsRequest | None] = queue.Queue()
    requests.put(pb.StreamCountItemsRequest(device_id="scanner-1"))
    with grpc.insecure_channel(f"127.0.0.1:{workers.port}") as channel:
        stream = InventoryCountServiceStub(channel).StreamCountItems(
            iter(requests.get, None), metadata=auth(Role.STAFF)
        )
        try:
            stream.initial_metadata()  # the stream is open on a worker
            workers.signal(signal.SIGTERM)
            with pytest.raises(grpc.RpcError) as raised:
                list(stream)
        finally:
            requests.put(None)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_info(raised.value).reason == "SERVER_DRAINING"
    assert workers.stop() == 0
    assert len(workers.messages("draining")) == WORKERS
    stopped = workers.messages("worker stopped")
    assert len(stopped) == WORKERS
    assert all(r["exit_code"] == 0 for r in stopped)


def test_a_configuration_error_stops_the_server_before_any_worker_starts(tmp_path: Path) -> None:
    # The parent checks the TLS files (and the token key) before it forks the workers.
    args = ["--listen", "127.0.0.1:0", "--workers", str(WORKERS)]
    args += ["--database-url", f"sqlite:///{tmp_path / 'inventory.db'}"]
    args += ["--tls-cert-file", str(tmp_path / "missing.pem")]
    env = clean_env(INVENTORY_JWT_SECRET=TEST_SECRET)
    with LoggedProcess("broken", [*SERVE, *args], env, tmp_path) as server:
        assert server.process.wait(60) == 2
        server.stop()
    assert [r["message"] for r in server.records if r.get("level") == "error"] == [
        "TLS needs both INVENTORY_TLS_CERT_FILE and INVENTORY_TLS_KEY_FILE"
    ]
    assert not server.messages("worker started")


def test_sigkill_to_the_server_kills_every_worker_at_once(workers: ServerProcess) -> None:
    """The server's death is its workers' death, as a crash: none drains, none is left serving
    (a server started again on the port must not share it with workers of the old one)."""
    pids = workers.worker_pids()
    workers.kill()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)]
    assert not workers.messages("draining")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; it waits for init to reap it
