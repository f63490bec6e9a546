"""The Docker Engine, behind one class. Nothing else in bgtasks imports the Docker SDK.

Methods return our own dataclasses and raise our own errors, with messages a user can act on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions

from bgtasks.errors import EngineUnavailable, InvalidInput, NotFound
from bgtasks.execution.container_settings import INSTALLATION_LABEL, MANAGED_LABEL, RUN_ID_LABEL, TASK_NETWORK


@dataclass(frozen=True)
class ImageInfo:
    digest: str  # the content-addressed image id, "sha256:..."
    tags: list[str]
    size_bytes: int


@dataclass(frozen=True)
class ContainerState:
    running: bool
    exit_code: int | None
    oom_killed: bool


@dataclass(frozen=True)
class ManagedContainer:
    id: str
    run_id: str
    running: bool


class DockerEngine:
    """A connection to one Docker Engine (local socket by default, or ``base_url``)."""

    def __init__(self, base_url: str | None = None, timeout: int = 300) -> None:
        self._base_url = base_url
        self._timeout = timeout
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> docker.DockerClient:
        where = self._base_url or "the default socket (DOCKER_HOST or unix:///var/run/docker.sock)"
        try:
            if self._base_url:
                client = docker.DockerClient(base_url=self._base_url, timeout=self._timeout)
            else:
                client = docker.from_env(timeout=self._timeout)
            client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(
                f"Docker Engine not reachable at {where}: is dockerd running? ({exc})"
            ) from exc
        return client

    # Images

    def inspect_image(self, reference: str) -> ImageInfo:
        try:
            image = self.client.images.get(reference)
        except docker.errors.ImageNotFound as exc:
            raise NotFound(f"image {reference!r} not found in the Docker Engine", field="image") from exc
        except docker.errors.APIError as exc:
            raise InvalidInput(
                f"image {reference!r} cannot be inspected: {exc.explanation}", field="image"
            ) from exc
        return _image_info(image)

    def has_image(self, digest: str) -> bool:
        try:
            self.client.images.get(digest)
        except docker.errors.ImageNotFound:
            return False
        return True

    def load_archive(self, path: Path) -> list[ImageInfo]:
        """``docker load`` a ``docker save`` archive, streamed from disk."""
        try:
            with path.open("rb") as archive:
                loaded = self.client.images.load(archive)
        except docker.errors.APIError as exc:
            raise InvalidInput(
                f"the Docker Engine refused the archive: {exc.explanation}", field="archive"
            ) from exc
        return [_image_info(image) for image in loaded]

    def remove_image(self, digest: str) -> None:
        try:
            self.client.images.remove(digest, force=False, noprune=False)
        except docker.errors.ImageNotFound:
            pass

    # Containers

    def ensure_task_network(self) -> str:
        """The bridge network "bridge" tasks join; containers on it cannot reach each other."""
        if not self.client.networks.list(names=[TASK_NETWORK]):
            try:
                self.client.networks.create(
                    TASK_NETWORK,
                    driver="bridge",
                    options={"com.docker.network.bridge.enable_icc": "false"},
                    labels={MANAGED_LABEL: "true"},
                )
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # created meanwhile by another run
                    raise
        return TASK_NETWORK

    def create_container(self, kwargs: dict[str, Any]) -> Container:
        try:
            container = self.client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise NotFound(
                f"image {kwargs['image']} not found in the Docker Engine: register or upload the image again",
                field="image",
            ) from exc
        return Container(container)

    def managed_containers(self, installation: str) -> list[ManagedContainer]:
        """Task containers (running or stopped) that ``installation`` created."""
        containers = self.client.containers.list(
            all=True, filters={"label": [f"{MANAGED_LABEL}=true", f"{INSTALLATION_LABEL}={installation}"]}
        )
        return [
            ManagedContainer(
                id=container.id,
                run_id=container.labels.get(RUN_ID_LABEL, ""),
                running=container.status in ("running", "restarting", "paused"),
            )
            for container in containers
        ]

    def containers_of_run(self, run_id: str) -> list[str]:
        containers = self.client.containers.list(all=True, filters={"label": f"{RUN_ID_LABEL}={run_id}"})
        return [container.id for container in containers]

    def remove_container(self, container_id: str) -> None:
        try:
            self.client.containers.get(container_id).remove(force=True)
        except docker.errors.NotFound:
            pass


class Container:
    """One task container. Wraps the SDK object so callers never see docker-py types."""

    def __init__(self, container: Any) -> None:
        self._container = container

    @property
    def id(self) -> str:
        return self._container.id

    def put_archive(self, path: str, data: bytes) -> None:
        self._container.put_archive(path, data)

    def start(self) -> None:
        self._container.start()

    def log_chunks(self) -> Iterator[bytes]:
        """Raw stdout+stderr bytes as the task writes them, until the container stops."""
        return self._container.logs(stream=True, follow=True, stdout=True, stderr=True)

    def stats_once(self) -> dict[str, Any]:
        """One resource sample, answered at once (not after the engine's 1 s sampling delay)."""
        return self._container.stats(stream=False, one_shot=True)

    def wait(self, timeout: float | None = None) -> int:
        result = self._container.wait(timeout=timeout)
        return int(result.get("StatusCode", -1))

    def state(self) -> ContainerState:
        self._container.reload()
        state = self._container.attrs["State"]
        return ContainerState(
            running=bool(state.get("Running")),
            exit_code=state.get("ExitCode"),
            oom_killed=bool(state.get("OOMKilled")),
        )

    def stop(self, grace_seconds: int) -> None:
        try:
            self._container.stop(timeout=grace_seconds)
        except docker.errors.NotFound:
            pass

    def kill(self) -> None:
        try:
            self._container.kill()
        except docker.errors.APIError:
            pass  # already stopped

    def archive(self, path: str) -> Iterator[bytes]:
        stream, _stat = self._container.get_archive(path)
        return stream

    def remove(self) -> None:
        try:
            self._container.remove(force=True)
        except docker.errors.NotFound:
            pass


def _image_info(image: Any) -> ImageInfo:
    return ImageInfo(
        digest=image.id,
        tags=list(image.tags),
        size_bytes=int(image.attrs.get("Size", 0)),
    )
