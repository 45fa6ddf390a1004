"""oras (PyPI) against Wharf: push an artifact, push a referrer to it, pull.

Usage: python oras_e2e.py <host:port> <workdir>
"""
import hashlib
import json
import os
import sys

import oras.client
import oras.oci
import requests

host, work = sys.argv[1], sys.argv[2]
os.chdir(work)
with open("artifact.txt", "w") as f:
    f.write("hello from oras\n")
with open("sbom.json", "w") as f:
    json.dump({"sbom": True}, f)

client = oras.client.OrasClient(hostname=host, insecure=True)
target = f"{host}/tools/artifact:v1"
resp = client.push(files=["artifact.txt"], target=target, do_chunked=True, chunk_size=4)
assert resp.status_code == 201, resp.status_code
assert client.get_tags(target) == ["v1"], client.get_tags(target)

manifest_resp = requests.get(
    f"http://{host}/v2/tools/artifact/manifests/v1",
    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
)
body = manifest_resp.content
digest = "sha256:" + hashlib.sha256(body).hexdigest()
assert manifest_resp.headers["Docker-Content-Digest"] == digest

subject = oras.oci.Subject(mediaType="application/vnd.oci.image.manifest.v1+json", digest=digest, size=len(body))
resp = client.push(
    files=["sbom.json:application/spdx+json"],
    target=f"{host}/tools/artifact:sbom",
    subject=subject,
    manifest_annotations={"org.example.kind": "sbom"},
)
assert resp.status_code == 201, resp.status_code
assert resp.headers.get("OCI-Subject") == digest, resp.headers

refs = requests.get(f"http://{host}/v2/tools/artifact/referrers/{digest}").json()
assert len(refs["manifests"]) == 1, refs
assert refs["manifests"][0]["annotations"]["org.example.kind"] == "sbom", refs

os.makedirs("out", exist_ok=True)
files = client.pull(target=target, outdir="out")
with open(os.path.join("out", "artifact.txt")) as f:
    assert f.read() == "hello from oras\n"
print("OK")
