/** Pushing task views to the live sessions of their tenant (best-effort: a failure is logged). */
import type { OwnedView } from "./task-views.ts";

/** Sends each tenant's changed views to its Hub, which fans them out to the right sockets. */
export async function publishViews(env: Env, views: readonly OwnedView[]): Promise<void> {
  const byTenant = new Map<string, OwnedView[]>();
  for (const v of views) byTenant.set(v.tenant, [...(byTenant.get(v.tenant) ?? []), v]);
  await Promise.all(
    [...byTenant].map(async ([tenant, list]) => {
      try {
        await env.HUB.get(env.HUB.idFromName(tenant)).publish(
          list.map(({ subject, view }) => ({ subject, view })),
        );
      } catch (error) {
        console.warn("errand-api: live publish failed", error);
      }
    }),
  );
}
