"""Delivery latency of the change feed: one stream follows a session while appends arrive one at a time at random
intervals (5-50 ms); for each message, the time from the append's acknowledgement (it has committed) to its
message.appended event on the stream, beside the append's own round trip as the reference measured in the same run.
Usage: BENCH_KEY=... python3 bench/events_latency.py http://127.0.0.1:18390   (EVENTS=1000, WARM=200)"""
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import urllib.request

base, key = sys.argv[1], os.environ["BENCH_KEY"]
count, warm = int(os.environ.get("EVENTS", "1000")), int(os.environ.get("WARM", "200"))
cid = f"latency-{int(time.time())}"
headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def call(method, path, body=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


call("PUT", f"/sessions/{cid}", {})
arrived, done = {}, threading.Event()


def follow():
    host = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.request("GET", f"/events?types=message.appended&continuation_id={cid}", headers=headers)
    response = conn.getresponse()
    assert response.status == 200, response.status
    opened.set()
    for raw in response:
        if raw.startswith(b"data: "):
            seq = json.loads(raw[6:])["seq"]
            arrived[seq] = time.perf_counter()
            if seq == warm + count:
                done.set()
                return


opened = threading.Event()
threading.Thread(target=follow, daemon=True).start()
opened.wait(10)
acked = {}
for i in range(warm + count):
    start = time.perf_counter()
    seq = call("POST", f"/sessions/{cid}/messages", {"role": "user", "content": f"message {i}"})["seq"]
    acked[seq] = (start, time.perf_counter())
    time.sleep(random.uniform(0.005, 0.05))
assert done.wait(10), f"{len(arrived)} of {warm + count} events arrived"
measured = range(warm + 1, warm + count + 1)
delivery = sorted(max(0.0, arrived[s] - acked[s][1]) * 1000 for s in measured)
round_trip = sorted((acked[s][1] - acked[s][0]) * 1000 for s in measured)


def pct(values, p):
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


print("| what (ms) | p50 | p90 | p99 | max |")
print("|---|---|---|---|---|")
for name, values in (("event after the append's acknowledgement", delivery), ("the append's round trip (reference)", round_trip)):
    print(f"| {name} | {pct(values, 50):.1f} | {pct(values, 90):.1f} | {pct(values, 99):.1f} | {values[-1]:.1f} |")
print(f"\np99 delivery / p99 append round trip: {pct(delivery, 99) / pct(round_trip, 99):.2f} ({count} events after {warm} of warm-up)")
