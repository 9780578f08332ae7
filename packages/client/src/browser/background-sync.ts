/**
 * The Background Sync seam: asks the active service worker's registration for a sync, so the
 * outbox drains with no page open (`@errand/client/service-worker` answers it). Chromium only;
 * elsewhere, and with no service worker in control, it does nothing.
 */

/** Registers a Background Sync under `tag`; resolves once the browser holds it, or at once without the API. */
export async function registerBackgroundSync(tag: string): Promise<void> {
  const container = globalThis.navigator?.serviceWorker;
  if (container?.controller === null || container?.controller === undefined) return;
  const registration = (await container.ready) as ServiceWorkerRegistration & {
    sync?: { register(tag: string): Promise<void> };
  };
  await registration.sync?.register(tag).catch(() => {});
}
