"""rdflib-endpoint over an N-Quads file, as a user of that package would run it.

``python -m bench.rdflib_server --data data.nq --port P --stats stats.json``: parses the file
into ``rdflib.Dataset(default_union=True)`` (the default graph is the union of the named graphs,
as on the other two systems), writes the parse time to ``--stats``, then serves
``rdflib_endpoint.SparqlEndpoint`` with uvicorn on 127.0.0.1 (``/sparql``).

rdflib cannot cancel a query, and rdflib-endpoint evaluates it on the event loop, so a query
that runs too long blocks the server. The parsed data set is therefore kept in this (parent)
process and the server runs in a forked child: SIGUSR1 makes the parent kill the child and fork
a fresh one (the data is shared copy-on-write, no second parse); SIGTERM stops both.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stats")
    args = ap.parse_args()

    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    ds = Dataset(default_union=True)
    ds.parse(args.data, format="nquads")
    seconds = time.perf_counter() - t
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump({"load_seconds": seconds}, f)
    print(f"rdflib: {args.data} parsed in {seconds:.1f} s", flush=True)
    app = SparqlEndpoint(
        graph=ds, path="/sparql", public_url=f"http://127.0.0.1:{args.port}/sparql"
    )

    def serve() -> int:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
            os._exit(0)
        return pid

    child = serve()
    restart = False

    def on_usr1(*_: object) -> None:
        nonlocal restart
        restart = True

    def on_term(*_: object) -> None:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        sys.exit(0)

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGTERM, on_term)
    while True:
        signal.pause()
        if restart:
            restart = False
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            child = serve()
            print("rdflib: server restarted", flush=True)


if __name__ == "__main__":
    main()
