import { expose } from "comlink";
import { openDB } from "idb";

/** A module worker that writes to IndexedDB through idb; proves the browser harness. */
const api = {
  async put(dbName: string, key: string, value: string): Promise<void> {
    const db = await openDB(dbName, 1, {
      upgrade(database) {
        database.createObjectStore("kv");
      },
    });
    await db.put("kv", value, key);
    db.close();
  },
};

export type HarnessApi = typeof api;
expose(api);
