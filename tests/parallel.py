"""Running one thing from many threads at the same moment (a barrier), for the tests that
show a limit or a lock holds under concurrency."""
import threading


def at_once(n: int, one) -> list:
    """``one(i)`` for i in 0..n-1, all released together; their results in the order they finished."""
    results, start = [], threading.Barrier(n)

    def run(i):
        start.wait()
        results.append(one(i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
