#!/usr/bin/env python3
"""A robot-side client of `mipjs serve`, in plain Python.

The standard library talks HTTP (`http.client`, `struct` for raw float32); the WebSocket session
uses Debian's `python3-websockets` (asyncio API, version 10 or later). Run it against a server
started with `--sim`, which also serves a simulated PushT robot, to drive a whole episode:

    mipjs serve mip=apps/playground/public/policies/mip --sim
    python3 examples/python-client/mipjs_client.py --policy mip --transport ws

On a real robot, replace `SimulatedPushT` with your own `reset()` / `step(action)`.
"""

import argparse
import asyncio
import http.client
import json
import os
import struct
import sys
import urllib.parse


class ServerError(Exception):
    """A refusal of the server: its JSON error (code, field, expected, message)."""

    def __init__(self, status, body):
        try:
            error = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "http", "field": "", "message": body[:200].decode("utf8", "replace")}
        super().__init__("HTTP %d %s: %s" % (status, error.get("field", ""), error.get("message", "")))
        self.status = status
        self.error = error


class PolicyClient:
    """HTTP access to a policy server: the policy list and act requests (JSON or raw float32)."""

    def __init__(self, url="http://127.0.0.1:8731", token=None, timeout=10.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise ValueError("url: expected http://host:port, got %r" % url)
        self.url = url.rstrip("/")
        self.headers = {"Authorization": "Bearer " + token} if token else {}
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)

    def request(self, method, path, body=None, content_type="application/json"):
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        res = self.conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise ServerError(res.status, data)
        return res, data

    def policies(self):
        """The served policies: name, algorithm, nfe, obsSteps, horizon, actionSteps, shapes and units."""
        return json.loads(self.request("GET", "/policies")[1])["policies"]

    def act(self, name, history, nfe=None, seed=None):
        """The action chunk [H][A] for one observation history [To][D], over raw little-endian float32."""
        flat = [v for row in history for v in row]
        query = urllib.parse.urlencode({k: v for k, v in (("nfe", nfe), ("seed", seed)) if v is not None})
        path = "/policies/%s/act%s" % (name, "?" + query if query else "")
        res, data = self.request("POST", path, struct.pack("<%df" % len(flat), *flat), "application/octet-stream")
        b, h, a = (int(x) for x in res.getheader("x-mipjs-shape").split(","))
        values = struct.unpack("<%df" % (b * h * a), data)
        return [list(values[i * a:(i + 1) * a]) for i in range(h)]

    def act_json(self, name, history, nfe=None, seed=None):
        """As `act`, in JSON."""
        body = {"observations": history}
        if nfe is not None:
            body["nfe"] = nfe
        if seed is not None:
            body["seed"] = seed
        return json.loads(self.request("POST", "/policies/%s/act" % name, json.dumps(body))[1])["actions"][0]


class SimulatedPushT:
    """The PushT robot that `mipjs serve --sim` simulates: reset() and step(action) over HTTP."""

    def __init__(self, client, seed=100000, observation="state"):
        self.client, self.seed, self.observation, self.id = client, seed, observation, None

    def reset(self):
        body = json.dumps({"seed": self.seed, "observation": self.observation})
        answer = json.loads(self.client.request("POST", "/sim/pusht/episodes", body)[1])
        self.id = answer["id"]
        return answer["observation"]

    def step(self, action):
        body = json.dumps({"action": list(action)})
        answer = json.loads(self.client.request("POST", "/sim/pusht/episodes/%s/step" % self.id, body)[1])
        return answer["observation"], answer["reward"], answer["terminated"] or answer["truncated"]


def run_http(client, robot, policy, steps, nfe=None):
    """The receding horizon on the robot side: a chunk every Ta steps, rows To-1 ... To-2+Ta executed."""
    info = next(p for p in client.policies() if p["name"] == policy)
    to, ta = info["obsSteps"], info["actionSteps"]
    obs = robot.reset()
    history, queue, chunks, actions, rewards = [obs] * to, [], 0, [], []
    for _ in range(steps):
        if not queue:
            chunk = client.act(policy, history, nfe=nfe, seed=chunks)
            queue = chunk[to - 1:to - 1 + ta]
            chunks += 1
        action = queue.pop(0)
        actions.append(action)
        obs, reward, done = robot.step(action)
        rewards.append(reward)
        history = history[1:] + [obs]
        if done:
            break
    return actions, rewards


async def run_ws_async(url, token, robot, policy, steps, prefetch=1):
    """The receding horizon on the server: one observation in, one action out, over a WebSocket."""
    import websockets  # Debian: python3-websockets

    ws_url = "%s/policies/%s/session?prefetch=%d" % (url.replace("http://", "ws://", 1), policy, prefetch)
    headers = {"Authorization": "Bearer " + token} if token else {}
    async with websockets.connect(ws_url, extra_headers=headers) as ws:
        hello = json.loads(await ws.recv())
        dim = hello["policy"]["observation"]["shape"][1]
        adim = hello["policy"]["action"]["shape"][1]
        obs = robot.reset()
        actions, rewards = [], []
        for _ in range(steps):
            await ws.send(struct.pack("<%df" % dim, *obs))
            answer = await ws.recv()
            if isinstance(answer, str):
                raise ServerError(400, answer.encode())
            action = list(struct.unpack("<%df" % adim, answer))
            actions.append(action)
            obs, reward, done = robot.step(action)
            rewards.append(reward)
            if done:
                break
        return actions, rewards


def main(argv=None):
    p = argparse.ArgumentParser(description="Drive a PushT episode (mipjs serve --sim) with a served policy.")
    p.add_argument("--url", default="http://127.0.0.1:8731")
    p.add_argument("--policy", required=True, help="a name from GET /policies")
    p.add_argument("--transport", choices=["http", "ws"], default="ws")
    p.add_argument("--seed", type=int, default=100000, help="the episode's reset seed")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--prefetch", type=int, default=1, help="ws: prefetch lead (0: off)")
    p.add_argument("--token", default=os.environ.get("MIPJS_SERVE_TOKEN"))
    p.add_argument("--json", help="write the actions and rewards here")
    args = p.parse_args(argv)
    client = PolicyClient(args.url, args.token)
    robot = SimulatedPushT(client, seed=args.seed)
    try:
        if args.transport == "http":
            actions, rewards = run_http(client, robot, args.policy, args.steps)
        else:
            actions, rewards = asyncio.run(run_ws_async(args.url, args.token, robot, args.policy, args.steps, args.prefetch))
    except ServerError as e:
        print("mipjs_client: %s" % e, file=sys.stderr)
        return 1
    summary = {"transport": args.transport, "steps": len(actions), "maxReward": max(rewards or [0.0])}
    print(json.dumps(summary))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(summary, actions=actions, rewards=rewards), f)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
