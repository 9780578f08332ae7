import { describe, expect, it } from "vitest";
import { browserOnlineSource, createOnlineManager, type OnlineSource } from "./online-manager.ts";

function fakeSource(initial: boolean) {
  let onLine = initial;
  let emit: (online: boolean) => void = () => {};
  const source: OnlineSource = {
    onLine: () => onLine,
    listen(onChange) {
      emit = onChange;
      return () => {
        emit = () => {};
      };
    },
  };
  return {
    source,
    go(online: boolean) {
      onLine = online;
      emit(online);
    },
  };
}

describe("createOnlineManager", () => {
  it("follows the browser's online and offline events", () => {
    const browser = fakeSource(true);
    const manager = createOnlineManager(browser.source);
    const seen: boolean[] = [];
    manager.subscribe((online) => seen.push(online));
    browser.go(false);
    browser.go(true);
    expect(seen).toEqual([false, true]);
    expect(manager.isOnline()).toBe(true);
  });

  describe("when requests fail while the browser says online", () => {
    it("goes offline on a network failure and back online on any answer", () => {
      const manager = createOnlineManager(fakeSource(true).source);
      manager.reportUnreachable();
      expect(manager.isOnline()).toBe(false);
      manager.reportReachable();
      expect(manager.isOnline()).toBe(true);
    });

    it("clears the failure when the network comes back", () => {
      const browser = fakeSource(true);
      const manager = createOnlineManager(browser.source);
      manager.reportUnreachable();
      browser.go(false);
      browser.go(true);
      expect(manager.isOnline()).toBe(true);
    });
  });

  it("lets a test force the state and give it back", () => {
    const manager = createOnlineManager(fakeSource(true).source);
    manager.setOnline(false);
    expect(manager.isOnline()).toBe(false);
    manager.setOnline(undefined);
    expect(manager.isOnline()).toBe(true);
  });

  it("lets a timer probe the edge only when a failed request, not the browser or the app, says offline", () => {
    const browser = fakeSource(true);
    const manager = createOnlineManager(browser.source);
    manager.reportUnreachable();
    expect(manager.mayProbe()).toBe(true);
    manager.setOnline(false);
    expect(manager.mayProbe()).toBe(false);
    manager.setOnline(undefined);
    browser.go(false);
    expect(manager.mayProbe()).toBe(false);
  });

  it("stops telling listeners once closed", () => {
    const browser = fakeSource(true);
    const manager = createOnlineManager(browser.source);
    const seen: boolean[] = [];
    manager.subscribe((online) => seen.push(online));
    manager.close();
    browser.go(false);
    expect(seen).toEqual([]);
  });
});

describe("browserOnlineSource", () => {
  /** A global with the parts the source reads: events, `navigator.onLine`, the page's visibility. */
  function fakeGlobal() {
    const target = new EventTarget() as EventTarget & {
      navigator: { onLine: boolean };
      document: { visibilityState: DocumentVisibilityState };
    };
    target.navigator = { onLine: true };
    target.document = { visibilityState: "visible" };
    return target;
  }

  describe("when a request failed while the tab was hidden", () => {
    it("tries the edge again when the tab comes back to the front, not before", () => {
      const page = fakeGlobal();
      const manager = createOnlineManager(browserOnlineSource(page as unknown as typeof globalThis));
      const seen: boolean[] = [];
      manager.subscribe((online) => seen.push(online));
      manager.reportUnreachable();
      page.document.visibilityState = "hidden";
      page.dispatchEvent(new Event("visibilitychange"));
      expect(manager.isOnline()).toBe(false);
      page.document.visibilityState = "visible";
      page.dispatchEvent(new Event("visibilitychange"));
      expect(seen).toEqual([false, true]);
      manager.reportUnreachable();
      page.dispatchEvent(new Event("focus"));
      expect(seen).toEqual([false, true, false, true]);
    });

    it("stays offline on focus while the browser says offline", () => {
      const page = fakeGlobal();
      const manager = createOnlineManager(browserOnlineSource(page as unknown as typeof globalThis));
      page.navigator.onLine = false;
      page.dispatchEvent(new Event("offline"));
      page.dispatchEvent(new Event("focus"));
      expect(manager.isOnline()).toBe(false);
    });
  });

  it("stops listening once its manager is closed", () => {
    const page = fakeGlobal();
    const manager = createOnlineManager(browserOnlineSource(page as unknown as typeof globalThis));
    manager.reportUnreachable();
    manager.close();
    page.dispatchEvent(new Event("focus"));
    expect(manager.isOnline()).toBe(false);
  });
});
