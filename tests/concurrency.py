"""Requests racing each other over real connections (PostgreSQL), for the tests of guesses and claims."""
import threading

from django.db import OperationalError, connection

from core.errors import ServiceError


def all_at_once(attempts) -> list:
    """Run every callable in its own thread, released together; each thread closes its connection.

    An outcome is the callable's result, the code of the ServiceError it raised, or "no_connection" when it
    waited too long for the pool (a busy machine: it never reached the code under test)."""
    barrier = threading.Barrier(len(attempts))
    outcomes = [None] * len(attempts)

    def worker(index):
        try:
            barrier.wait(timeout=60)
            outcomes[index] = attempts[index]()
        except ServiceError as exc:
            outcomes[index] = exc.code
        except OperationalError:
            outcomes[index] = "no_connection"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes
