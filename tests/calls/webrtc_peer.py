"""A real WebRTC participant for tests: aiortc peer connections driven by our signaling socket.

Protocol roles (docs/signaling.md): whoever receives `peers` offers to each of them; whoever receives
`peer-joined` or `peer-rejoined` waits for that peer's offer. Loopback only: no ICE servers, and the
host candidates are pinned to 127.0.0.1 (RECIPES.md §1).
"""
import asyncio
import json

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError
from websockets.asyncio.client import connect

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]


class Peer:
    def __init__(self, name: str, base_url: str, call_id: str, cookie: str):
        self.name = name
        self.url = f"{base_url.replace('http', 'ws', 1)}/ws/calls/{call_id}/"
        self.origin = base_url
        self.cookie = cookie
        self.ws = None
        self.participant_id = None
        self.state = None
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.channels: dict[str, object] = {}
        self.received: dict[str, list[str]] = {}
        self.frames: dict[str, int] = {}
        self.messages: list[dict] = []
        self.connected = asyncio.Event()
        self._reader = None
        self._tasks: list[asyncio.Task] = []
        self.changed = asyncio.Event()

    # --- socket ---
    async def open(self, *, rejoin: bool = False):
        self.ws = await connect(self.url, origin=self.origin, additional_headers={"Cookie": self.cookie},
                                proxy=None, open_timeout=10)
        hello = json.loads(await self.ws.recv())
        assert hello["type"] == "hello", hello
        await self.send({"type": "join", **({"participant_id": self.participant_id} if rejoin else {})})
        self._reader = asyncio.create_task(self._read())

    async def send(self, message: dict):
        await self.ws.send(json.dumps(message))

    async def cut(self):
        """Drop the socket without a goodbye, as a phone switching networks does."""
        self._reader.cancel()
        self.ws.transport.abort()

    async def _read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            self.messages.append(message)
            await self._handle(message)
            self.changed.set()

    async def wait_for(self, predicate, timeout: float = 20):
        async def loop():
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(loop(), timeout)

    def seen(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == kind]

    # --- signaling ---
    async def _handle(self, message: dict):
        kind = message["type"]
        if kind == "joined":
            self.participant_id = message["participant_id"]
            self.state = message["state"]
        elif kind == "admitted":
            self.state = "admitted"
        elif kind == "peers":
            for peer in message["peers"]:
                await self._offer(peer["participant_id"])
        elif kind == "peer-rejoined":
            await self._drop_pc(message["peer"]["participant_id"])
        elif kind == "offer":
            await self._answer(message["from"], message["sdp"])
        elif kind == "answer":
            pc = self.pcs.get(message["from"])
            if pc is not None:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))

    def _new_pc(self, peer_id: str) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(VideoStreamTrack())
        self.pcs[peer_id] = pc
        self.frames[peer_id] = 0
        self.received.setdefault(peer_id, [])

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState == "connected" and self.pcs.get(peer_id) is pc:
                self.connected.set()
                await self.send({"type": "media-state", "connection": "connected", "peer": peer_id})
            self.changed.set()

        @pc.on("track")
        def on_track(track):
            self._tasks.append(asyncio.create_task(self._count_frames(peer_id, pc, track)))

        @pc.on("datachannel")
        def on_datachannel(channel):
            self._wire(peer_id, channel)

        return pc

    def _wire(self, peer_id, channel):
        self.channels[peer_id] = channel

        @channel.on("message")
        def on_message(text):
            self.received[peer_id].append(text)
            self.changed.set()

        @channel.on("open")
        def on_open():
            channel.send(f"hello from {self.name}")

        if channel.readyState == "open":
            channel.send(f"hello from {self.name}")

    async def _count_frames(self, peer_id, pc, track):
        try:
            while self.pcs.get(peer_id) is pc:
                await track.recv()
                self.frames[peer_id] += 1
                self.changed.set()
        except MediaStreamError:
            pass

    async def _drop_pc(self, peer_id):
        pc = self.pcs.pop(peer_id, None)
        self.channels.pop(peer_id, None)
        if pc is not None:
            await pc.close()

    async def _offer(self, peer_id: str):
        await self._drop_pc(peer_id)
        pc = self._new_pc(peer_id)
        self._wire(peer_id, pc.createDataChannel("chat"))
        await pc.setLocalDescription(await pc.createOffer())
        # aiortc gathers every candidate before setLocalDescription returns: nothing left to trickle.
        await self.send({"type": "offer", "to": peer_id, "sdp": pc.localDescription.sdp})

    async def _answer(self, peer_id: str, sdp: str):
        await self._drop_pc(peer_id)
        pc = self._new_pc(peer_id)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send({"type": "answer", "to": peer_id, "sdp": pc.localDescription.sdp})

    def media_ok(self, peer_id: str, frames: int = 3) -> bool:
        pc = self.pcs.get(peer_id)
        return (pc is not None and pc.connectionState == "connected" and self.frames.get(peer_id, 0) >= frames
                and any(text.startswith("hello from") for text in self.received.get(peer_id, [])))

    async def close(self):
        for task in self._tasks:
            task.cancel()
        if self._reader:
            self._reader.cancel()
        for peer_id in list(self.pcs):
            await self._drop_pc(peer_id)
        if self.ws is not None:
            await self.ws.close()
