"""calls.consumers.dispatch_serially, the consumers' loop in place of Channels' await_many_dispatch: handlers run
one at a time whichever source their message came from, and a failure on either side ends the consumer once
the handler running at the time is done. And without_session_saves: a socket's frames skip Channels' session
wrapper only while that wrapper has nothing to do for websocket messages."""
import asyncio

import pytest
from channels.exceptions import StopConsumer
from channels.sessions import InstanceSessionWrapper

from calls.channel_layer import ChannelLayerLost
from calls.consumers import dispatch_serially, without_session_saves

pytestmark = pytest.mark.asyncio


class Sources:
    def __init__(self):
        self.socket, self.layer = asyncio.Queue(), asyncio.Queue()
        self.handled: list[str] = []
        self.running = 0

    async def socket_receive(self):
        return await self.socket.get()

    async def layer_receive(self):
        message = await self.layer.get()
        if isinstance(message, BaseException):
            raise message
        return message

    async def dispatch(self, message):
        self.running += 1
        assert self.running == 1, "two handlers at once"
        await asyncio.sleep(message.get("takes", 0))
        self.running -= 1
        if message.get("raise"):
            raise message["raise"]
        self.handled.append(message["n"])


def start(sources):
    return asyncio.ensure_future(dispatch_serially(sources.dispatch, sources.socket_receive, sources.layer_receive))


async def test_handlers_run_one_at_a_time_and_each_source_in_order():
    sources = Sources()
    loop = start(sources)
    for n in range(20):
        sources.socket.put_nowait({"n": f"s{n}", "takes": 0.001 * (n % 3)})
        sources.layer.put_nowait({"n": f"l{n}", "takes": 0.001 * (n % 2)})
    while len(sources.handled) < 40:
        await asyncio.sleep(0.01)
    assert [n for n in sources.handled if n[0] == "s"] == [f"s{n}" for n in range(20)]
    assert [n for n in sources.handled if n[0] == "l"] == [f"l{n}" for n in range(20)]
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop


async def test_a_lost_layer_ends_the_consumer_after_the_running_handler():
    sources = Sources()
    loop = start(sources)
    sources.socket.put_nowait({"n": "slow", "takes": 0.2})
    await asyncio.sleep(0.05)
    sources.layer.put_nowait(ChannelLayerLost("gone"))
    with pytest.raises(ChannelLayerLost):
        await asyncio.wait_for(loop, 5)
    assert sources.handled == ["slow"]


@pytest.mark.parametrize("error", [ValueError("bad handler"), StopConsumer()])
async def test_an_error_in_a_layer_handler_ends_the_consumer_with_that_error(error):
    sources = Sources()
    loop = start(sources)
    sources.layer.put_nowait({"n": "x", "raise": error})
    with pytest.raises(type(error)):
        await asyncio.wait_for(loop, 5)
    assert not loop.cancelling()  # the cancel that carried the error is not left pending on the task


async def test_a_socket_handler_error_cancels_the_layer_side():
    sources = Sources()
    loop = start(sources)
    await asyncio.sleep(0.01)
    sources.socket.put_nowait({"n": "x", "raise": StopConsumer()})
    with pytest.raises(StopConsumer):
        await asyncio.wait_for(loop, 5)
    sources.layer.put_nowait({"n": "late"})
    await asyncio.sleep(0.05)
    assert sources.handled == [] and sources.layer.qsize() == 1  # nobody reads the layer any more


async def test_sockets_skip_the_session_wrapper_only_while_it_saves_on_http_responses_alone():
    async def real_send(message):
        pass

    wrapper = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, real_send)
    assert without_session_saves(wrapper.send) is real_send
    assert without_session_saves(real_send) is real_send

    class SavingOnFrames(InstanceSessionWrapper):
        save_message_types = ["http.response.start", "websocket.send"]

    saving = SavingOnFrames({"type": "websocket", "cookies": {}}, real_send)
    assert without_session_saves(saving.send) == saving.send
