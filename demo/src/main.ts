import { checkEdge } from "./edge-health.ts";

const edgeUrl = import.meta.env.VITE_ERRAND_EDGE_URL as string;
const status = document.querySelector<HTMLElement>("#edge-status");
const detail = document.querySelector<HTMLElement>("#edge-detail");

async function refresh(): Promise<void> {
  if (!status || !detail) return;
  status.dataset.state = "checking";
  status.textContent = "checking…";
  const health = await checkEdge(edgeUrl);
  status.dataset.state = health.up ? "up" : "down";
  status.textContent = health.up ? "up" : "down";
  detail.textContent = health.message;
}

document.querySelector("#edge-recheck")?.addEventListener("click", () => void refresh());
void refresh();
