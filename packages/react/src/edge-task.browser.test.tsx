import { createOnlineManager } from "@errand/client";
import { expect, it } from "vitest";
import { render, startErrand } from "./fixtures/harness.tsx";
import { useTask } from "./hooks.ts";

function EdgeStatus({ id }: { id: string }) {
  const task = useTask(id);
  if (task == null) return <p>{String(task)}</p>;
  return <p>{task.where === "edge" ? `edge ${task.state} ${task.edgeStatus ?? ""}`.trim() : "local"}</p>;
}

/** An edge that accepts every task and reports each one's `status` when polled. */
function edge(status: () => string): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method === "POST") {
      const { tasks } = JSON.parse(String(init.body)) as { tasks: { id: string }[] };
      return Response.json({ results: tasks.map(({ id }) => ({ id, status: "accepted" })) });
    }
    const ids = (url.searchParams.get("ids") ?? "").split(",");
    return Response.json({
      tasks: ids.map((id) => ({ id, topic: "other", status: status(), attempts: 1, deliveries: [] })),
    });
  };
}

it("shows an edge task from the outbox to the edge's answer", async () => {
  let status = "queued";
  const { errand } = await startErrand({
    edge: {
      url: "https://edge.example",
      fetch: edge(() => status),
      getToken: async () => ({ token: "t", subject: "ada", expiresAt: Date.now() + 3_600_000 }),
      pollMs: 50,
      backgroundSync: false,
      online: createOnlineManager({ onLine: () => true, listen: () => () => {} }),
    },
  });
  const { id } = await errand.enqueue("other", { text: "far" }, { target: "edge" });
  const container = render(errand, <EdgeStatus id={id} />);
  await expect.poll(() => container.textContent).toBe("edge sent queued");
  status = "delivered";
  await expect.poll(() => container.textContent).toBe("edge succeeded delivered");
});
