"""The nginx edge of `deploy/` (docker-compose's gateway), run for real in front of a real
orders service: query strings stay out of its access log (a WebSocket ticket or a search is
not a log's business), and one client address meets `limit_req` on the sensitive routes
before any service sees the flood (issue 12, items 5 and 8).

nginx comes from Debian's packages (`.ci/run` installs nginx-light)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from libs.devstack.servers import REPO_ROOT, free_port
from libs.testing import bearer, serve
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def edge_config(workdir: Path, listen: int, upstream: str) -> Path:
    """The deployed config, pointed at a local upstream instead of compose's service names."""
    text = (REPO_ROOT / "deploy/nginx/nginx.conf").read_text()
    text = re.sub(r"resolver [^;]+;", "", text)
    text = text.replace("http://$service:8000", f"http://{upstream}")
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    text = text.replace("/var/log/nginx/access.log", str(workdir / "access.log"))
    text = f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n" + text
    config = workdir / "nginx.conf"
    config.write_text(text)
    return config


async def test_the_edge_keeps_queries_out_of_its_log_and_limits_card_testing(
        tmp_path: Path, settings_for: Callable[..., Any]) -> None:
    assert Path(NGINX).exists(), "nginx is not installed (.ci/run installs nginx-light)"
    async with serve(create_orders(settings_for(OrdersSettings))) as orders:
        port = free_port()
        config = edge_config(tmp_path, port, orders.base_url.removeprefix("http://"))
        checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(config)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        edge = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config),
                                 "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                         timeout=10) as client:
                for _ in range(50):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
                buyer = bearer("buyer", "edge-buyer")
                looked_up = await client.get("/orders/v1/vouchers/SPRING10?secret=ticket-123",
                                             headers=buyer)
                assert looked_up.status_code in (403, 404)  # answered by orders itself
                answers = await asyncio.gather(*[
                    client.post("/orders/v1/checkout", headers=buyer, json={})
                    for _ in range(30)])
                statuses = [a.status_code for a in answers]
                assert statuses.count(429) >= 15, statuses  # burst 10, then 2 a second
                assert set(statuses) <= {422, 429}
        finally:
            edge.terminate()
            edge.wait(10)
    log = (tmp_path / "access.log").read_text()
    assert "/orders/v1/vouchers/SPRING10" in log
    assert "ticket-123" not in log and "secret=" not in log
