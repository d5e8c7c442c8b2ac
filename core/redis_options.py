"""redis-py connection options for the channel layer, so that live calls keep relaying after a Redis restart.

channels-redis builds its own ConnectionPool from each host dict (`address` plus documented redis-py connection
keyword arguments), so the `Redis()` client's default retries never apply: every connection gets redis-py's
connection default of no retry at all. Since redis-py 8 also hands out an idle pooled connection without first
noticing that the old server closed it, the first PUBLISH after a restart failed outright, the consumer that
relayed an offer crashed, and the offer was lost. With these options:

- `retry`: a command that meets a dropped connection reconnects and is sent again (a few times, backing off),
  and the pub/sub connection reconnects the same way; redis-py's PubSub then subscribes again to every channel
  and group it held (its documented `on_connect` re-subscription). Only connection errors are retried: a
  timeout may mean the PUBLISH was delivered, and a relayed offer must not arrive twice.
- `health_check_interval`: a connection idle for longer than this is PINGed before it is used, so a stale one is
  replaced before a PUBLISH is written to it; the subscribed connection is PINGed as often while it waits.
TCP keepalive (redis-py's default) finds a server that vanished without closing the socket.
"""
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

# Seconds. A server that is back needs one retry; while Redis is still down the retries are spent quickly, so a
# relay fails (and its page reconnects) promptly, and the subscriber's reconnect attempts stay frequent: it
# subscribes again soon after the server returns (what is published before that reaches nobody).
RETRY_BASE, RETRY_CAP, RETRY_ATTEMPTS = 0.05, 0.5, 3
HEALTH_CHECK_INTERVAL = 15


def channel_layer_host(url: str, **extra) -> dict:
    """One entry of the layer's `hosts`: the URL and the documented redis-py options above (plus `extra`)."""
    return {
        "address": url,
        "retry": Retry(ExponentialBackoff(cap=RETRY_CAP, base=RETRY_BASE), RETRY_ATTEMPTS,
                       supported_errors=(RedisConnectionError,)),
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        **extra,
    }
