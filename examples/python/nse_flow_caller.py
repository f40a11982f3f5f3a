"""A caller of nse-flow written with the Python `temporalio` package alone (see docs/contract.md).

It starts an operation and a provisioning plan with the `accepted` update (back once NSE accepted the call, or the
plan's first call) and idempotency keys, sets the static summary, details and fairness key the contract documents,
reads a typed failure (`NseJobFailed` with its details, `InvalidInput` with its message), queries the status of a
running run and cancels it. It prints what it saw as one JSON object.

The key names every run it starts: run again with the same key, it reads the runs that key started (listed under
`existing`, with a line on stderr) instead of starting them again. A new key starts new runs. See README.md here.

    pip install -r examples/python/requirements.txt
    python examples/python/nse_flow_caller.py --tenant 5f1a00000000000000000001 \
        --subtenant 5f1a00000000000000000011 --zone zone-a --key order-4711
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from typing import Any, Optional

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WithStartWorkflowOperation,
)
from temporalio.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError

OPERATION_WORKFLOW = "nseOperationWorkflow"
PLAN_WORKFLOW = "provisionWorkflow"
NSE_PHASE = SearchAttributeKey.for_keyword("NsePhase")
NSE_OBJECT_TYPE = SearchAttributeKey.for_keyword("NseObjectType")
NSE_TENANT_ID = SearchAttributeKey.for_keyword("NseTenantId")
NSE_JOB_ID = SearchAttributeKey.for_keyword("NseJobId")
# Poll the simulator's jobs quickly; a real NSE job takes minutes, and the defaults suit it.
FAST_POLL = {"initialIntervalMs": 20, "maxIntervalMs": 40}


def operation_summary(operation: str, fields: dict[str, Any]) -> str:
    """The static summary of an operation run, by the rule of docs/contract.md."""
    verb, resource = operation.split("-", 1)
    text = f"{verb} {resource.replace('-', ' ')}"
    label = next((fields[key] for key in ("name", "display_name", "alias", "id") if key in fields), None)
    if isinstance(label, str):
        text += f" '{label}'"
    subtenant = fields.get("subtenant_id")
    if isinstance(subtenant, str):
        text += f" for subtenant {subtenant}"
    return text[:200]


def tenant_priority(tenant_id: Optional[str]) -> Priority:
    """The run's priority: its tenant as fairness key (docs/contract.md), so tenants' runs take turns."""
    if not tenant_id:
        return Priority(fairness_key="no-tenant")
    if re.fullmatch(r"[\x20-\x7e]{1,64}", tenant_id):
        return Priority(fairness_key=tenant_id)
    return Priority(fairness_key=f"{tenant_id[:16]}~{len(tenant_id)}")


def start_attributes(object_type: str, tenant_id: Optional[str]) -> TypedSearchAttributes:
    pairs = [SearchAttributePair(NSE_PHASE, "validating"), SearchAttributePair(NSE_OBJECT_TYPE, object_type)]
    if tenant_id:
        pairs.append(SearchAttributePair(NSE_TENANT_ID, tenant_id))
    return TypedSearchAttributes(pairs)


class Runs:
    """The runs this caller reached, and which of them its key had started before (closed, so not started again)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.existing: list[str] = []

    def spent(self, workflow_id: str) -> WorkflowHandle[Any, Any]:
        """The closed run a spent key names: a start with that key is refused (docs/contract.md), so read it."""
        self.existing.append(workflow_id)
        return self.client.get_workflow_handle(workflow_id)

    async def acceptance(self, workflow_id: str, first_step: Optional[str] = None) -> dict[str, Any]:
        """What `accepted` answered for a closed run, from what it left: its first run id and the `NseJobId` it (or,
        for a plan, its first step's run) published."""
        description = await self.client.get_workflow_handle(workflow_id).describe()
        accepted: dict[str, Any] = {
            "workflowId": workflow_id,
            "runId": description.raw_info.first_run_id or description.run_id,
        }
        carrier = description
        if first_step is not None:
            accepted.update(step=first_step, stepWorkflowId=f"{workflow_id}/{first_step}")
            carrier = await self.client.get_workflow_handle(accepted["stepWorkflowId"]).describe()
        job_id = carrier.typed_search_attributes.get(NSE_JOB_ID)
        if job_id:
            accepted["nseJobId"] = job_id
        return accepted


def operation_start(run_input: dict[str, Any], task_queue: str, workflow_id: str) -> dict[str, Any]:
    """The start options of an operation run with an idempotency key (docs/contract.md): its id and policies, the
    static summary and details, the search attributes and the fairness key."""
    operation, tenant_id = run_input["operation"], run_input.get("tenantId")
    details = f"NSE operation `{operation}`" + (f" for tenant `{tenant_id}`" if tenant_id else "")
    return {
        "id": workflow_id,
        "task_queue": task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "static_summary": operation_summary(operation, run_input["input"]),
        "static_details": details,
        "search_attributes": start_attributes(operation.split("-", 1)[1], tenant_id),
        "priority": tenant_priority(tenant_id),
    }


async def start_operation(
    runs: Runs, task_queue: str, run_input: dict[str, Any], idempotency_key: str
) -> WorkflowHandle[Any, Any]:
    """Starts nseOperationWorkflow; the same key returns the open run, or the closed one, instead of a second one."""
    options = operation_start(run_input, task_queue, f"nse-flow-op-{idempotency_key}")
    try:
        return await runs.client.start_workflow(OPERATION_WORKFLOW, run_input, **options)
    except WorkflowAlreadyStartedError:
        return runs.spent(options["id"])


async def start_accepted(
    runs: Runs, task_queue: str, run_input: dict[str, Any], idempotency_key: str
) -> tuple[dict[str, Any], WorkflowHandle[Any, Any]]:
    """Starts nseOperationWorkflow with the `accepted` update (update-with-start): returns once NSE accepted the
    call, with its job id; the same key answers the same run and job, open or closed."""
    workflow_id = f"nse-flow-op-{idempotency_key}"
    options = operation_start(run_input, task_queue, workflow_id)
    start = WithStartWorkflowOperation(OPERATION_WORKFLOW, run_input, **options)
    try:
        accepted = await runs.client.execute_update_with_start_workflow("accepted", start_workflow_operation=start)
    except WorkflowAlreadyStartedError:
        return await runs.acceptance(workflow_id), runs.spent(workflow_id)
    return accepted, await start.workflow_handle()


async def start_plan(
    runs: Runs, task_queue: str, plan: dict[str, Any], idempotency_key: str
) -> tuple[dict[str, Any], WorkflowHandle[Any, Any]]:
    """Starts provisionWorkflow with the `accepted` update, the plan's summary and one details line per step: returns
    once NSE accepted the first step's call, with that step and its job id (a closed plan of the key: from its
    first step's run)."""
    steps = plan["steps"]
    workflow_id = f"nse-flow-plan-{idempotency_key}"
    start = WithStartWorkflowOperation(
        PLAN_WORKFLOW,
        plan,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=f"provision plan '{plan['name']}' ({len(steps)} steps)"[:200],
        static_details="\n".join(f"{i + 1}. `{step['id']}`: {step['operation']}" for i, step in enumerate(steps)),
        search_attributes=start_attributes("plan", plan.get("tenantId")),
        priority=tenant_priority(plan.get("tenantId")),
    )
    try:
        accepted = await runs.client.execute_update_with_start_workflow("accepted", start_workflow_operation=start)
    except WorkflowAlreadyStartedError:
        return await runs.acceptance(workflow_id, steps[0]["id"]), runs.spent(workflow_id)
    return accepted, await start.workflow_handle()


def failure_of(error: WorkflowFailureError) -> dict[str, Any]:
    """The typed failure inside a failed run: its type, message and first detail (docs/contract.md, Failures)."""
    cause: Optional[BaseException] = error.cause
    while cause is not None and not isinstance(cause, (ApplicationError, CancelledError)) and cause.__cause__:
        cause = cause.__cause__
    if isinstance(cause, CancelledError):
        return {"type": "Cancelled", "message": cause.message}
    if isinstance(cause, ApplicationError):
        return {"type": cause.type, "message": cause.message, "details": list(cause.details)[:1]}
    return {"type": type(cause).__name__, "message": str(cause)}


async def outcome(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    try:
        return {"workflowId": handle.id, "result": await handle.result()}
    except WorkflowFailureError as error:
        return {"workflowId": handle.id, "failure": failure_of(error)}


async def wait_for_phase(handle: WorkflowHandle[Any, Any], phase: str) -> dict[str, Any]:
    """Asks the status query until the run reports `phase`. A run that has not had its first workflow task yet
    has no handler: that answer is retried too."""
    while True:
        try:
            status = await handle.query("status")
            if status["phase"] == phase:
                return status
        except WorkflowQueryFailedError:
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                raise
        await asyncio.sleep(0.1)


def hostgroup(args: argparse.Namespace, name: str, poll: dict[str, Any]) -> dict[str, Any]:
    fields = {"name": name, "subtenant_id": args.subtenant, "zone": args.zone, "protocol": "iscsi", "os_type": "linux"}
    return {"operation": "create-hostgroup", "tenantId": args.tenant, "input": fields, "poll": poll}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs = Runs(await Client.connect(args.address, namespace=args.namespace))
    queue, key = args.task_queue, args.key
    seen: dict[str, Any] = {}

    operation = hostgroup(args, f"py-{key}", FAST_POLL)
    seen["accepted"], handle = await start_accepted(runs, queue, operation, f"{key}-op")
    seen["operation"] = await outcome(handle)

    plan = {
        "name": f"py-{key}",
        "tenantId": args.tenant,
        "poll": FAST_POLL,
        "steps": [
            {"id": "hosts", "operation": "create-hostgroup", "input": hostgroup(args, f"py-{key}-plan", {})["input"]},
            {
                "id": "disk",
                "operation": "create-disk",
                "input": {
                    "name": f"py-{key}-disk",
                    "subtenant_id": args.subtenant,
                    "zone": args.zone,
                    "disk_path": f"/vol/py_{key.replace('-', '_')}",
                    "protocol": "iscsi",
                    "os_type": "linux",
                    "service_level": "standard",
                    "size_gb": 10,
                    "hostgroup_mappings": ["${steps.hosts.input.name}"],
                },
            },
        ],
    }
    seen["planAccepted"], plan_handle = await start_plan(runs, queue, plan, f"{key}-plan")
    seen["plan"] = await outcome(plan_handle)

    # The simulator ends the job of a "fail-" name ERROR: nse-flow undoes it and the run fails NseJobFailed.
    failing = hostgroup(args, f"fail-py-{key}", FAST_POLL)
    seen["jobFailed"] = await outcome(await start_operation(runs, queue, failing, f"{key}-fail"))

    invalid = hostgroup(args, f"py-{key}-invalid", FAST_POLL)
    del invalid["input"]["protocol"]
    seen["invalid"] = await outcome(await start_operation(runs, queue, invalid, f"{key}-invalid"))

    # A run that reads its job once a minute stays open long enough to be asked and cancelled.
    slow_poll = {"initialIntervalMs": 60_000, "maxIntervalMs": 60_000}
    slow = await start_operation(runs, queue, hostgroup(args, f"py-{key}-slow", slow_poll), f"{key}-slow")
    if slow.id in runs.existing:
        # Closed already (cancelled by the first run of this key): a query still answers its last status.
        seen["status"] = await slow.query("status")
    else:
        seen["status"] = await wait_for_phase(slow, "polling")
        await slow.cancel()
    seen["cancelled"] = await outcome(slow)
    if runs.existing:
        seen["existing"] = runs.existing
        print(
            f"key {key}: {len(runs.existing)} runs of this key existed already and were read, not started again "
            "(a new --key starts new runs)",
            file=sys.stderr,
        )
    return seen


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default=os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    parser.add_argument("--namespace", default=os.environ.get("TEMPORAL_NAMESPACE", "default"))
    parser.add_argument("--task-queue", default=os.environ.get("NSE_FLOW_TASK_QUEUE", "nse-flow"))
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--subtenant", required=True)
    parser.add_argument("--zone", required=True)
    parser.add_argument("--key", required=True, help="idempotency key prefix: the same key returns the same runs")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2), flush=True)
    # The SDK's Rust threads can abort the interpreter's shutdown of a short client-only process
    # (temporalio/sdk-python#300, "PyGILState_Release"): everything is done and printed, so skip the shutdown.
    os._exit(0)
