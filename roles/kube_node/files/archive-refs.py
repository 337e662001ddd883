"""Print the image references of an image archive (docker save or OCI layout tar), one a line,
as containerd names them (docker.io/library/busybox:latest): the stamp of kube_node's import."""
import json
import sys
import tarfile


def normalize(ref):
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        ref = "docker.io/library/" + ref
    elif "." not in first and ":" not in first and first != "localhost":
        ref = "docker.io/" + ref
    return ref


def refs(path):
    out = []
    with tarfile.open(path) as tar:
        names = tar.getnames()
        if "manifest.json" in names:
            for entry in json.load(tar.extractfile("manifest.json")):
                out += entry.get("RepoTags") or []
        if not out and "index.json" in names:
            for m in json.load(tar.extractfile("index.json")).get("manifests", []):
                ann = m.get("annotations") or {}
                name = ann.get("io.containerd.image.name") or ann.get("org.opencontainers.image.ref.name")
                if name and ("/" in name or ":" in name):
                    out.append(name)
    return sorted(set(normalize(r) for r in out))


if __name__ == "__main__":
    print("\n".join(refs(sys.argv[1])))
