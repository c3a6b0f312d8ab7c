#!/usr/bin/env python3
"""check-schemas.py: every answer of a real node against docs/openapi.yaml.

Usage: check-schemas.py NODE_URL [--dev | --gateways | --governance] [OPENAPI]

With --dev the node runs a dev chain (`tallyd --dev --demo`): the clock is moved
400 days first, so that histories and the activity hold the chain's own events
(renewals, a freeze, a default), and POST /v1/dev/advance is expected to answer 200.

The node must hold the demo network (`tallyd --demo`). For every documented path
and method the script makes a request a client would make (the path's parameters
filled from the demo: network 1, alice's address, asset 1, a committed transaction,
block 1, ...), and validates the answer's JSON against the schema documented for
its status. The check is strict: an object schema that lists its properties admits
no other field (as if `additionalProperties: false`), so a field the node sends and
the document does not name fails, and so does a required field left out. Answers
that are not JSON (`/metrics`, a raw block) are checked for their content type only.
Every block's co-signatures are asked too (the node's own on each, final on a chain of
one validator; a height past the tip 404, a malformed one 400).
Refusals are checked too: an unknown network (404), a malformed submission (400),
a dev-chain call on a real chain (403), the lists of holds and payment requests
asked wrongly (400) or for nobody (404), unknown holds and requests (404).

With --gateways the node holds, instead of the demo, what test_cli_gateway.c makes:
Greenvale (1), Riverside (2) and Hilltop (3), gateways 1 (1-2) and 2 (2-3), alice in
1 and bob in 2 and carol in 3, and cross payments committed; only the gateways, the
paths and the blocks are checked (their answers with real figures).

With --underwriting the node holds what test_cli_underwrite.c makes: network 1 with
stakes behind bob's line (or, in its membership-fee session, a member suspended for
a fee and another charged): the network, its members and their histories, the
stakes and the blocks are checked.

With --market the node holds what test_market_index.c's routes test makes: network 1
with 320 listings (some withdrawn or expired), seller3's order 1 completed and
reviewed; only the marketplace's answers, the histories and activity they make and
the blocks are checked. On the demo (no marketplace yet) its paths are asked too:
empty lists and every refusal.

With --governance the node holds what test_cli_governance.c makes: Greenvale (1),
governed by its members, with proposal 1 (an operator added) executed and voted on
by alice; only the proposals and the blocks are checked.

Prints one line per request and a summary; exit status 0 when everything matches.
Uses python3-yaml and python3-jsonschema (Debian packages, deps/debian-packages.txt).
"""
import copy
import json
import sys
import time
import urllib.error
import urllib.request

import jsonschema
import yaml


def summary(c):
    """The last line, and the exit status."""
    print("%d passed, %d failed" % (c.checked - c.failures if c.checked >= c.failures else 0, c.failures))
    return 1 if c.failures else 0


def strict(schema):
    """OpenAPI 3.0 schema -> JSON Schema (draft 7), strict about unnamed fields."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
    # An object admits the fields it names and no other; one that names none must be
    # empty (every answer's fields are documented).
    if out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = False
    # OpenAPI keywords that JSON Schema does not know
    for key in ("example", "format"):
        out.pop(key, None)
    return out


class Checker:
    def __init__(self, url, spec):
        self.url = url.rstrip("/")
        self.spec = spec
        self.root = strict(spec)
        self.failures = 0
        self.checked = 0
        self.seen_paths = set()

    def schema_for(self, path, method, status, content="application/json"):
        operation = self.spec["paths"][path][method]
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return None, "status %d is not documented for %s %s" % (status, method.upper(), path)
        if "$ref" in response:
            response = self.resolve(response["$ref"])
        body = response.get("content", {}).get(content)
        if body is None:
            return None, "no %s answer is documented for %s %s %d" % (content, method.upper(), path, status)
        return body.get("schema", {}), None

    def resolve(self, ref):
        node = self.spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def request(self, method, path, body=None, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.url + path, data=data, method=method.upper())
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()

    def check(self, template, method, path, want_status, body=None, content_type="application/json"):
        """Requests path (template is the documented path it fills) and validates."""
        self.checked += 1
        self.seen_paths.add((template, method))
        status, answer_type, raw = self.request(method, path, body, content_type)
        where = "%s %s" % (method.upper(), path)
        if status != want_status:
            return self.fail(where, "answered %d, expected %d: %s" % (status, want_status, raw[:300]))
        if not answer_type.startswith("application/json"):
            schema, problem = self.schema_for(template, method, status, answer_type.split(";")[0])
            if problem:
                return self.fail(where, problem)
            print("ok    %s (%d, %s)" % (where, status, answer_type))
            return None
        schema, problem = self.schema_for(template, method, status)
        if problem:
            return self.fail(where, problem)
        try:
            document = json.loads(raw)
        except ValueError as error:
            return self.fail(where, "the answer is not JSON: %s" % error)
        wrapped = copy.deepcopy(self.root)
        wrapped.update(strict(schema))
        validator = jsonschema.Draft7Validator(wrapped)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            for error in errors[:8]:
                at = "/".join(str(part) for part in error.absolute_path) or "(top)"
                self.fail(where, "at %s: %s" % (at, error.message[:300]))
            return document  # what the answer holds still fills the next paths
        print("ok    %s (%d)" % (where, status))
        return document

    def fail(self, where, why):
        self.failures += 1
        print("FAIL  %s: %s" % (where, why))
        return None


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    url = sys.argv[1]
    rest = sys.argv[2:]
    dev = "--dev" in rest
    gateways = "--gateways" in rest
    underwriting = "--underwriting" in rest
    governance = "--governance" in rest
    market = "--market" in rest
    rest = [arg for arg in rest if arg not in ("--dev", "--gateways", "--underwriting", "--governance", "--market")]
    spec_path = rest[0] if rest else "docs/openapi.yaml"
    with open(spec_path) as file:
        spec = yaml.safe_load(file)
    c = Checker(url, spec)
    if gateways:
        return check_gateways(c)
    if underwriting:
        return check_underwriting(c)
    if governance:
        return check_governance(c)
    if market:
        return check_market(c)
    if dev:
        c.check("/v1/dev/advance", "post", "/v1/dev/advance?seconds=%d" % (400 * 86400), 200, "")
        time.sleep(1)  # the index follows the chain within moments

    status = c.check("/v1/status", "get", "/v1/status", 200) or {}
    networks = c.check("/v1/networks", "get", "/v1/networks", 200) or {}
    c.check("/v1/networks", "get", "/v1/networks?name=greenvale", 200)
    c.check("/v1/networks/{network}", "get", "/v1/networks/1", 200)
    c.check("/v1/networks/{network}", "get", "/v1/networks/999", 404)
    members = c.check("/v1/networks/{network}/members", "get", "/v1/networks/1/members", 200) or {}
    member_list = (members or {}).get("members", [])
    alice = next((m["address"] for m in member_list if m.get("alias") == "alice"), None)
    if alice is None:
        c.fail("GET /v1/networks/1/members", "the demo's alice is not there")
        alice = "tly1"
    c.check("/v1/networks/{network}/accounts/{member}", "get", "/v1/networks/1/accounts/alice", 200)
    c.check("/v1/networks/{network}/accounts/{member}", "get", "/v1/networks/1/accounts/" + alice, 200)
    c.check("/v1/networks/{network}/accounts/{member}", "get", "/v1/networks/1/accounts/nobody", 404)
    history = c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                      "/v1/networks/1/accounts/alice/history?limit=50", 200) or {}
    for who in ("bob", "carol", "dave"):
        c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                "/v1/networks/1/accounts/%s/history" % who, 200)
    c.check("/v1/networks/{network}/activity", "get", "/v1/networks/1/activity?limit=500", 200)
    c.check("/v1/networks/{network}/health", "get", "/v1/networks/1/health?limit=500", 200)
    c.check("/v1/networks/{network}/health", "get", "/v1/networks/1/health?limit=0", 400)
    c.check("/v1/networks/{network}/health", "get", "/v1/networks/999/health", 404)
    c.check("/v1/networks/{network}/search", "get", "/v1/networks/1/search?q=eggs", 200)
    c.check("/v1/networks/{network}/search", "get", "/v1/networks/1/search?q=", 400)
    c.check("/v1/accounts/{address}", "get", "/v1/accounts/" + alice, 200)
    c.check("/v1/assets", "get", "/v1/assets", 200)
    c.check("/v1/assets/{asset}", "get", "/v1/assets/1", 200)
    c.check("/v1/blocks", "get", "/v1/blocks?from=0&limit=5", 200)
    c.check("/v1/blocks/{height}", "get", "/v1/blocks/0", 200)
    height = int(status.get("height", 1))
    for h in range(1, min(height, 20) + 1):
        c.check("/v1/blocks/{height}", "get", "/v1/blocks/%d" % h, 200)
    c.check("/v1/blocks/{height}/raw", "get", "/v1/blocks/1/raw", 200)
    check_cosignatures(c, status)
    transaction = next((e["tx"] for e in history.get("entries", []) if not e.get("by_chain")), None)
    if transaction:
        c.check("/v1/transactions/{id}", "get", "/v1/transactions/" + transaction, 200)
    c.check("/v1/transactions/{id}", "get", "/v1/transactions/" + "00" * 32, 404)
    c.check("/v1/transactions", "post", "/v1/transactions", 400, '{"tx": "zz"}')
    c.check("/v1/transactions", "post", "/v1/transactions", 200, '{"txs": ["00"]}')
    c.check("/v1/proofs/networks/{network}", "get", "/v1/proofs/networks/1", 200)
    c.check("/v1/proofs/networks/{network}/accounts/{who}", "get", "/v1/proofs/networks/1/accounts/" + alice, 200)
    bob_address = next((m["address"] for m in member_list if m.get("alias") == "bob"), alice)
    c.check("/v1/proofs/networks/{network}/shares/{address}", "get", "/v1/proofs/networks/1/shares/" + bob_address, 200)
    c.check("/v1/proofs/accounts/{address}", "get", "/v1/proofs/accounts/" + alice, 200)
    c.check("/v1/proofs/assets/{asset}", "get", "/v1/proofs/assets/1", 200)
    c.check("/v1/proofs/assets/{asset}/holders/{address}", "get", "/v1/proofs/assets/1/holders/" + bob_address, 200)
    # Gateways and paths: the demo has three (1 Greenvale-Riverside, 2 Riverside-
    # Hilltop, 3 Greenvale-Hilltop); a dev chain none (and the rest refusals).
    listed = c.check("/v1/gateways", "get", "/v1/gateways", 200) or {}
    c.check("/v1/gateways", "get", "/v1/gateways?network=1", 200)
    c.check("/v1/gateways", "get", "/v1/gateways?network=x", 400)
    c.check("/v1/gateways", "get", "/v1/gateways?network=999", 404)
    c.check("/v1/gateways/{id}", "get", "/v1/gateways/1", 200 if listed.get("gateways") else 404)
    c.check("/v1/gateways/{id}", "get", "/v1/gateways/999", 404)
    c.check("/v1/gateways/{id}", "get", "/v1/gateways/first", 400)
    if listed.get("gateways"):
        c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=frank@3&amount=1000", 200)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=bob@1", 400)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=bob@1&amount=100", 400)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=bob@999&amount=100", 404)
    c.check("/v1/paths", "get", "/v1/paths?from=alice&to=bob@1&amount=100", 400)
    c.check("/v1/clearings", "get", "/v1/clearings", 200)
    c.check("/v1/clearings", "get", "/v1/clearings?limit=1&before=1", 200)
    c.check("/v1/clearings", "get", "/v1/clearings?limit=0", 400)
    # The demo's hold (dave's deposit for carol) and payment requests (carol's to
    # dave, paid; bob's to alice, open until it expires), and every refusal.
    holds = c.check("/v1/networks/{network}/holds", "get", "/v1/networks/1/holds?member=dave", 200) or {}
    if not holds.get("holds"):
        c.fail("GET /v1/networks/1/holds?member=dave", "the demo's hold is not listed")
    c.check("/v1/networks/{network}/holds", "get", "/v1/networks/1/holds?member=carol&status=open&limit=1", 200)
    c.check("/v1/networks/{network}/holds", "get", "/v1/networks/1/holds?member=" + alice + "&before=1", 200)
    bad_address = "tly1" + "a" * 58  # an address's length and alphabet, a wrong checksum
    for query, status in (("", 400), ("?member=nobody", 404), ("?member=" + bad_address, 400),
                          ("?member=Dave%21", 400), ("?member=dave&status=lost", 400), ("?member=dave&limit=0", 400),
                          ("?member=dave&limit=501", 400), ("?member=dave&before=x", 400)):
        c.check("/v1/networks/{network}/holds", "get", "/v1/networks/1/holds" + query, status)
    c.check("/v1/networks/{network}/holds", "get", "/v1/networks/999/holds?member=dave", 404)
    hold = c.check("/v1/holds/{id}", "get", "/v1/holds/1", 200) or {}
    c.check("/v1/holds/{id}", "get", "/v1/holds/999", 404)
    c.check("/v1/holds/{id}", "get", "/v1/holds/first", 400)
    requests = c.check("/v1/networks/{network}/requests", "get", "/v1/networks/1/requests?member=alice", 200) or {}
    if not requests.get("requests"):
        c.fail("GET /v1/networks/1/requests?member=alice", "the demo's open request is not listed")
    c.check("/v1/networks/{network}/requests", "get", "/v1/networks/1/requests?member=dave&status=paid", 200)
    for query, status in (("", 400), ("?member=nobody", 404), ("?member=" + bad_address, 400),
                          ("?member=alice&status=open&limit=999", 400), ("?member=alice&status=posted", 400)):
        c.check("/v1/networks/{network}/requests", "get", "/v1/networks/1/requests" + query, status)
    paid = c.check("/v1/requests/{id}", "get", "/v1/requests/1", 200) or {}
    honey = c.check("/v1/requests/{id}", "get", "/v1/requests/2", 200) or {}
    c.check("/v1/requests/{id}", "get", "/v1/requests/999", 404)
    c.check("/v1/requests/{id}", "get", "/v1/requests/0", 400)
    c.check("/v1/proofs/holds/{id}", "get", "/v1/proofs/holds/1", 200)
    c.check("/v1/proofs/holds/{id}", "get", "/v1/proofs/holds/999", 404)
    c.check("/v1/proofs/requests/{id}", "get", "/v1/proofs/requests/2", 200)
    c.check("/v1/proofs/requests/{id}", "get", "/v1/proofs/requests/999", 404)
    want_hold, want_honey = ("refunded", "expired") if dev else ("open", "open")
    if hold.get("status") != want_hold or hold.get("payee_name") != "carol":
        c.fail("GET /v1/holds/1", "expected carol's hold %s: %s" % (want_hold, hold))
    if paid.get("status") != "paid" or paid.get("memo") != "a sack of potatoes":
        c.fail("GET /v1/requests/1", "expected the potatoes paid: %s" % paid)
    if honey.get("status") != want_honey or honey.get("payer_name") != "alice":
        c.fail("GET /v1/requests/2", "expected alice's honey %s: %s" % (want_honey, honey))
    if dev:
        history = c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                          "/v1/networks/1/accounts/carol/history", 200) or {}
        kinds = {entry.get("type") for entry in history.get("entries", [])}
        if not {"line_frozen", "line_defaulted"} <= kinds:
            c.fail("GET /v1/networks/1/accounts/carol/history", "no freeze and default after 400 days: %s" % kinds)
        history = c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                          "/v1/networks/1/accounts/alice/history", 200) or {}
        if "request_expired" not in {entry.get("type") for entry in history.get("entries", [])}:
            c.fail("GET /v1/networks/1/accounts/alice/history", "the honey did not expire in 400 days")
    else:
        c.check("/v1/dev/advance", "post", "/v1/dev/advance?seconds=60", 403, "")
    # Stakes: the demo's one (bob's behind dave's line) is listed, read and proved;
    # every refusal is named.
    listed = c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes", 200) or {}
    if not listed.get("stakes"):
        c.fail("GET /v1/networks/1/stakes", "the demo's stake of bob's behind dave is not listed")
    c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes?member=dave&underwriter=bob&limit=5", 200)
    c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes?member=bob&underwriter=alice&limit=5", 200)
    for query, status in (("?member=nobody", 400), ("?underwriter=nobody", 400), ("?cursor=0", 400),
                          ("?limit=501", 400)):
        c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes" + query, status)
    c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/999/stakes", 404)
    c.check("/v1/stakes/{id}", "get", "/v1/stakes/1", 200)
    c.check("/v1/stakes/{id}", "get", "/v1/stakes/2", 404)
    c.check("/v1/stakes/{id}", "get", "/v1/stakes/first", 400)
    c.check("/v1/proofs/stakes/{id}", "get", "/v1/proofs/stakes/1", 200)
    c.check("/v1/proofs/stakes/{id}", "get", "/v1/proofs/stakes/2", 404)
    # Marketplace records are proved as any record (the demo's listing 1 and its one
    # completed order); one that does not exist is a 404.
    c.check("/v1/proofs/listings/{id}", "get", "/v1/proofs/listings/1", 200)
    c.check("/v1/proofs/orders/{id}", "get", "/v1/proofs/orders/1", 200)
    c.check("/v1/proofs/listings/{id}", "get", "/v1/proofs/listings/999999", 404)
    c.check("/v1/proofs/orders/{id}", "get", "/v1/proofs/orders/999999", 404)
    c.check("/metrics", "get", "/metrics", 200)
    check_no_proposals(c, alice)
    check_market_refusals(c, "alice")

    missing = [(path, method) for path, item in spec["paths"].items() for method in item
               if method in ("get", "post") and (path, method) not in c.seen_paths]
    for path, method in missing:
        c.fail("%s %s" % (method.upper(), path), "documented but not checked by this script")
    return summary(c)


def check_cosignatures(c, status):
    """Every block the node made is co-signed by it, and final on a one-validator chain."""
    height = int(status.get("height", 0))
    validators = status.get("validators") or []
    if not validators or status.get("quorum") != len(validators) // 2 + 1:
        c.fail("GET /v1/status", "expected validators and their quorum: %s" % status)
    genesis = c.check("/v1/blocks/{height}/cosignatures", "get", "/v1/blocks/0/cosignatures", 200) or {}
    if genesis.get("cosignatures") != [] or genesis.get("final"):
        c.fail("GET /v1/blocks/0/cosignatures", "the genesis is not co-signed: %s" % genesis)
    for h in range(1, min(height, 20) + 1):
        answer = c.check("/v1/blocks/{height}/cosignatures", "get", "/v1/blocks/%d/cosignatures" % h, 200) or {}
        signers = [s.get("validator") for s in answer.get("cosignatures", [])]
        if validators[:1] != signers[:1] or (len(validators) == 1 and not answer.get("final")):
            c.fail("GET /v1/blocks/%d/cosignatures" % h, "expected the producer's co-signature: %s" % answer)
    c.check("/v1/blocks/{height}/cosignatures", "get", "/v1/blocks/%d/cosignatures" % (height + 1000), 404)
    c.check("/v1/blocks/{height}/cosignatures", "get", "/v1/blocks/x/cosignatures", 400)


def check_gateways(c):
    """The gateway and path answers of test_cli_gateway.c's node, and its blocks."""
    listed = c.check("/v1/gateways", "get", "/v1/gateways", 200) or {}
    if len(listed.get("gateways", [])) != 2:
        c.fail("GET /v1/gateways", "expected the two gateways: %s" % listed)
    c.check("/v1/gateways", "get", "/v1/gateways?network=3", 200)
    first = c.check("/v1/gateways/{id}", "get", "/v1/gateways/1", 200) or {}
    if first.get("b", {}).get("exposure", 0) <= 0:
        c.fail("GET /v1/gateways/1", "expected Riverside's exposure to Greenvale: %s" % first)
    c.check("/v1/gateways/{id}", "get", "/v1/gateways/2", 200)
    c.check("/v1/gateways/{id}", "get", "/v1/gateways/9", 404)
    paths = c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=carol@3&amount=2000", 200) or {}
    if not paths.get("paths"):
        c.fail("GET /v1/paths", "expected the path over gateways 1 and 2: %s" % paths)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=carol@3&amount=2000&path=1,2", 200)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=carol@3&amount=2000&path=2", 404)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=bob@2&amount=1000000", 404)
    c.check("/v1/paths", "get", "/v1/paths?from=alice@1&to=bob@1&amount=5", 404)
    status = c.check("/v1/status", "get", "/v1/status", 200) or {}
    for height in range(1, int(status.get("height", 0)) + 1):
        c.check("/v1/blocks/{height}", "get", "/v1/blocks/%d" % height, 200)
    check_cosignatures(c, status)
    return summary(c)


def check_market_refusals(c, member):
    """The marketplace's paths on any network: what a search of nothing answers, and
    every refusal."""
    c.check("/v1/networks/{network}/categories", "get", "/v1/networks/1/categories", 200)
    c.check("/v1/networks/{network}/categories", "get", "/v1/networks/999/categories", 404)
    c.check("/v1/networks/{network}/categories", "get", "/v1/networks/x/categories", 400)
    listings = "/v1/networks/{network}/listings"
    c.check(listings, "get", "/v1/networks/1/listings?q=zzzzqqq", 200)
    for query in ("?kind=gift", "?sort=dearest", "?status=closed", "?limit=0", "?limit=101", "?min_price=-1",
                  "?min_price=9&max_price=3", "?category=33", "?offset=x", "?seller=Not%21"):
        c.check(listings, "get", "/v1/networks/1/listings" + query, 400)
    c.check(listings, "get", "/v1/networks/1/listings?seller=nobody", 404)
    c.check(listings, "get", "/v1/networks/999/listings", 404)
    c.check("/v1/listings/{id}", "get", "/v1/listings/999999", 404)
    c.check("/v1/listings/{id}", "get", "/v1/listings/first", 400)
    c.check("/v1/orders/{id}", "get", "/v1/orders/999999", 404)
    c.check("/v1/orders/{id}", "get", "/v1/orders/0", 400)
    orders = "/v1/networks/{network}/orders"
    c.check(orders, "get", "/v1/networks/1/orders?member=%s&role=seller&status=all" % member, 200)
    for query in ("", "?member=%s&role=maker" % member, "?member=%s&status=done" % member,
                  "?member=%s&limit=0" % member):
        c.check(orders, "get", "/v1/networks/1/orders" + query, 400)
    c.check(orders, "get", "/v1/networks/1/orders?member=nobody", 404)
    reviews = "/v1/networks/{network}/accounts/{member}/reviews"
    c.check(reviews, "get", "/v1/networks/1/accounts/%s/reviews" % member, 200)
    c.check(reviews, "get", "/v1/networks/1/accounts/nobody/reviews", 404)
    c.check(reviews, "get", "/v1/networks/1/accounts/%s/reviews?limit=101" % member, 400)
    c.check(reviews, "get", "/v1/networks/999/accounts/%s/reviews" % member, 404)


def check_market(c):
    """The marketplace's answers with real listings, an order, its steps and reviews."""
    listings = "/v1/networks/{network}/listings"
    page = c.check(listings, "get", "/v1/networks/1/listings?limit=100", 200) or {}
    if page.get("total", 0) < 100 or page.get("next_offset") != 100:
        c.fail("GET /v1/networks/1/listings", "expected more than a page of listings: total %s" % page.get("total"))
    for query in ("?status=all&sort=cheapest&limit=100&offset=200", "?q=eggs", "?category=2&kind=offer",
                  "?seller=seller3&min_price=100&max_price=900", "?kind=want&status=all"):
        c.check(listings, "get", "/v1/networks/1/listings" + query, 200)
    c.check("/v1/networks/{network}/categories", "get", "/v1/networks/1/categories", 200)
    listing = c.check("/v1/listings/{id}", "get", "/v1/listings/3", 200) or {}
    if not listing.get("reviews") or listing.get("rating", {}).get("average") is None:
        c.fail("GET /v1/listings/3", "expected its review and rating: %s" % listing)
    for id in (1, 8, 10, 16):  # withdrawn, expired, an ask, with an image
        c.check("/v1/listings/{id}", "get", "/v1/listings/%d" % id, 200)
    order = c.check("/v1/orders/{id}", "get", "/v1/orders/1", 200) or {}
    if len(order.get("steps", [])) < 4:
        c.fail("GET /v1/orders/1", "expected its four steps: %s" % order)
    c.check("/v1/networks/{network}/orders", "get", "/v1/networks/1/orders?member=seller3&status=all", 200)
    buyer = order.get("buyer", "nobody")
    c.check("/v1/networks/{network}/orders", "get", "/v1/networks/1/orders?member=%s&role=buyer&status=all" % buyer,
            200)
    c.check("/v1/networks/{network}/accounts/{member}/reviews", "get", "/v1/networks/1/accounts/seller3/reviews", 200)
    c.check("/v1/networks/{network}/accounts/{member}/reviews", "get",
            "/v1/networks/1/accounts/%s/reviews" % buyer, 200)
    for who in ("seller3", buyer):
        c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                "/v1/networks/1/accounts/%s/history?limit=500" % who, 200)
    c.check("/v1/networks/{network}/activity", "get", "/v1/networks/1/activity?limit=500", 200)
    check_market_refusals(c, "seller3")
    return summary(c)


def check_no_proposals(c, alice):
    """The proposals' paths on a network its operators govern: none, and the refusals."""
    c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals", 200)
    for query in ("?status=open", "?limit=0", "?limit=501", "?before=x"):
        c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals" + query, 400)
    c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/999/proposals", 404)
    c.check("/v1/proposals/{id}", "get", "/v1/proposals/1", 404)
    c.check("/v1/proposals/{id}", "get", "/v1/proposals/first", 400)
    c.check("/v1/proposals/{id}/votes/{address}", "get", "/v1/proposals/1/votes/" + alice, 404)
    c.check("/v1/proposals/{id}/votes/{address}", "get", "/v1/proposals/1/votes/nobody", 400)


def check_governance(c):
    """The proposal answers of test_cli_governance.c's node, and its blocks."""
    listed = c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals", 200) or {}
    proposals = listed.get("proposals", [])
    if not proposals or proposals[-1].get("status") != "executed":
        c.fail("GET /v1/networks/1/proposals", "expected proposal 1 executed: %s" % listed)
    c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals?status=executed&limit=1", 200)
    c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals?status=rejected", 200)
    c.check("/v1/networks/{network}/proposals", "get", "/v1/networks/1/proposals?status=lost", 400)
    first = c.check("/v1/proposals/{id}", "get", "/v1/proposals/1", 200) or {}
    votes = first.get("votes", [])
    if first.get("result", {}).get("code") != "OK" or not votes:
        c.fail("GET /v1/proposals/1", "expected proposal 1 applied with its votes: %s" % first)
    c.check("/v1/proposals/{id}", "get", "/v1/proposals/1?votes_limit=1", 200)
    c.check("/v1/proposals/{id}", "get", "/v1/proposals/1?votes_limit=0", 400)
    c.check("/v1/proposals/{id}", "get", "/v1/proposals/99", 404)
    if votes:
        c.check("/v1/proposals/{id}/votes/{address}", "get", "/v1/proposals/1/votes/" + votes[0]["voter"], 200)
        c.check("/v1/proposals/{id}/votes/{address}", "get", "/v1/proposals/99/votes/" + votes[0]["voter"], 404)
    c.check("/v1/networks/{network}", "get", "/v1/networks/1", 200)
    status = c.check("/v1/status", "get", "/v1/status", 200) or {}
    for height in range(1, int(status.get("height", 0)) + 1):
        c.check("/v1/blocks/{height}", "get", "/v1/blocks/%d" % height, 200)
    return summary(c)


def check_underwriting(c):
    """The answers about network 1 of test_cli_underwrite.c's node: its policy, its
    members with their reputation and line parts, their histories (stakes, charges,
    suspensions), its stakes, and every block."""
    c.check("/v1/networks/{network}", "get", "/v1/networks/1", 200)
    members = c.check("/v1/networks/{network}/members", "get", "/v1/networks/1/members", 200) or {}
    for member in members.get("members", []):
        address = member.get("address", "")
        c.check("/v1/networks/{network}/accounts/{member}", "get", "/v1/networks/1/accounts/" + address, 200)
        c.check("/v1/networks/{network}/accounts/{member}/history", "get",
                "/v1/networks/1/accounts/%s/history" % address, 200)
        c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes?member=" + address, 200)
        c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes?underwriter=" + address, 200)
    c.check("/v1/networks/{network}/activity", "get", "/v1/networks/1/activity?limit=500", 200)
    stakes = c.check("/v1/networks/{network}/stakes", "get", "/v1/networks/1/stakes?limit=1", 200) or {}
    for stake in stakes.get("stakes", []):
        c.check("/v1/stakes/{id}", "get", "/v1/stakes/%d" % stake.get("id", 0), 200)
        c.check("/v1/proofs/stakes/{id}", "get", "/v1/proofs/stakes/%d" % stake.get("id", 0), 200)
    c.check("/v1/proofs/listings/{id}", "get", "/v1/proofs/listings/999999", 404)
    c.check("/v1/proofs/orders/{id}", "get", "/v1/proofs/orders/999999", 404)
    status = c.check("/v1/status", "get", "/v1/status", 200) or {}
    for height in range(1, int(status.get("height", 0)) + 1):
        c.check("/v1/blocks/{height}", "get", "/v1/blocks/%d" % height, 200)
    print("%d passed, %d failed" % (c.checked - c.failures if c.checked >= c.failures else 0, c.failures))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
