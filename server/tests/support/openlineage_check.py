"""Checks OpenLineage RunEvents against the OpenLineage client's model (openlineage-python from PyPI, whose
classes are generated from the OpenLineage JSON schema and its facets' schemas; scripts/setup installs it).

Reads a JSON array of RunEvents on stdin. Each event, dataset and facet is rebuilt through those classes,
whose validators check what the schema requires (event types, a UUID run id, ISO 8601 times, required
fields); a key the schema does not define, a facet without _producer/_schemaURL, or a _schemaURL other than
the schema the client knows is an error. Prints "ok <n>" or the first problem and exits 1.
"""

import json
import sys

from openlineage.client.generated import base
from openlineage.client.generated import column_lineage_dataset as cl
from openlineage.client.generated import job_type_job as jt
from openlineage.client.generated import processing_engine_run as pe
from openlineage.client.generated import schema_dataset as sd
from openlineage.client.generated import symlinks_dataset as sl


def only(d, allowed, where):
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected an object, got {type(d).__name__}")
    extra = set(d) - set(allowed)
    if extra:
        raise ValueError(f"{where}: keys the schema does not define: {sorted(extra)}")


def facet(d, cls, allowed, where):
    only(d, set(allowed) | {"_producer", "_schemaURL"}, where)
    for key in ("_producer", "_schemaURL"):
        if not isinstance(d.get(key), str) or not d[key].startswith("http"):
            raise ValueError(f"{where}: {key} must be a URI, not {d.get(key)!r}")
    if d["_schemaURL"] != cls._get_schema():
        raise ValueError(f"{where}: _schemaURL {d['_schemaURL']} is not {cls._get_schema()}")
    return {k: v for k, v in d.items() if not k.startswith("_")}


def input_field(d, where):
    only(d, {"namespace", "name", "field", "transformations"}, where)
    ts = []
    for i, t in enumerate(d.get("transformations", [])):
        only(t, {"type", "subtype", "description", "masking"}, f"{where}.transformations[{i}]")
        if t["type"] not in ("DIRECT", "INDIRECT"):
            raise ValueError(f"{where}: transformation type {t['type']!r}")
        ts.append(cl.Transformation(**t))
    return cl.InputField(namespace=d["namespace"], name=d["name"], field=d["field"], transformations=ts)


def dataset_facets(d, where, output):
    out = {}
    for name, f in d.items():
        w = f"{where}.{name}"
        if name == "schema":
            body = facet(f, sd.SchemaDatasetFacet, {"fields"}, w)
            fields = []
            for i, x in enumerate(body["fields"]):
                only(x, {"name", "type", "description"}, f"{w}.fields[{i}]")
                fields.append(sd.SchemaDatasetFacetFields(**x))
            out[name] = sd.SchemaDatasetFacet(fields=fields)
        elif name == "symlinks":
            body = facet(f, sl.SymlinksDatasetFacet, {"identifiers"}, w)
            ids = []
            for i, x in enumerate(body["identifiers"]):
                only(x, {"namespace", "name", "type"}, f"{w}.identifiers[{i}]")
                ids.append(sl.Identifier(**x))
            out[name] = sl.SymlinksDatasetFacet(identifiers=ids)
        elif name == "columnLineage" and output:
            body = facet(f, cl.ColumnLineageDatasetFacet, {"fields", "dataset"}, w)
            fields = {}
            for col, x in body["fields"].items():
                only(x, {"inputFields", "transformationDescription", "transformationType"}, f"{w}.fields.{col}")
                fields[col] = cl.Fields(inputFields=[input_field(y, f"{w}.fields.{col}") for y in x["inputFields"]])
            dataset = [input_field(y, f"{w}.dataset") for y in body.get("dataset", [])]
            out[name] = cl.ColumnLineageDatasetFacet(fields=fields, dataset=dataset)
        else:
            raise ValueError(f"{w}: not a facet Weir should send here")
    return out


def check(e, where):
    only(e, {"eventType", "eventTime", "producer", "schemaURL", "run", "job", "inputs", "outputs"}, where)
    if e["schemaURL"] != base.RunEvent._get_schema():
        raise ValueError(f"{where}: schemaURL {e['schemaURL']} is not {base.RunEvent._get_schema()}")
    run = e["run"]
    only(run, {"runId", "facets"}, f"{where}.run")
    run_facets = {}
    for name, f in run.get("facets", {}).items():
        if name != "processing_engine":
            raise ValueError(f"{where}.run.facets.{name}: unexpected")
        body = facet(f, pe.ProcessingEngineRunFacet, {"version", "name", "openlineageAdapterVersion"}, f"{where}.run.facets.{name}")
        run_facets[name] = pe.ProcessingEngineRunFacet(**body)
    job = e["job"]
    only(job, {"namespace", "name", "facets"}, f"{where}.job")
    job_facets = {}
    for name, f in job.get("facets", {}).items():
        if name != "jobType":
            raise ValueError(f"{where}.job.facets.{name}: unexpected")
        body = facet(f, jt.JobTypeJobFacet, {"processingType", "integration", "jobType"}, f"{where}.job.facets.{name}")
        if body["processingType"] not in ("STREAMING", "BATCH"):
            raise ValueError(f"{where}: processingType {body['processingType']!r}")
        job_facets[name] = jt.JobTypeJobFacet(**body)
    inputs, outputs = [], []
    for i, d in enumerate(e.get("inputs", [])):
        only(d, {"namespace", "name", "facets"}, f"{where}.inputs[{i}]")
        inputs.append(base.InputDataset(namespace=d["namespace"], name=d["name"],
                                        facets=dataset_facets(d.get("facets", {}), f"{where}.inputs[{i}].facets", False)))
    for i, d in enumerate(e.get("outputs", [])):
        only(d, {"namespace", "name", "facets"}, f"{where}.outputs[{i}]")
        outputs.append(base.OutputDataset(namespace=d["namespace"], name=d["name"],
                                          facets=dataset_facets(d.get("facets", {}), f"{where}.outputs[{i}].facets", True)))
    base.RunEvent(
        eventType=base.EventType(e["eventType"]),
        eventTime=e["eventTime"],
        producer=e["producer"],
        run=base.Run(runId=run["runId"], facets=run_facets),
        job=base.Job(namespace=job["namespace"], name=job["name"], facets=job_facets),
        inputs=inputs,
        outputs=outputs,
    )


def main():
    events = json.load(sys.stdin)
    if not isinstance(events, list):
        events = [events]
    for i, e in enumerate(events):
        try:
            check(e, f"event[{i}]")
        except Exception as problem:  # the model's validators raise several kinds
            print(f"event[{i}] ({e.get('eventType')}): {type(problem).__name__}: {problem}")
            sys.exit(1)
    print(f"ok {len(events)}")


if __name__ == "__main__":
    main()
