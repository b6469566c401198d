// The outbox on disk: unsent messages kept in IndexedDB (one database per user), so a message written
// offline survives closing the tab and goes out on the next load with the same client_id (the server
// stores a client_id once: a message that did reach it is not stored twice). A file still uploading
// is not kept (its bytes are not copied); once uploaded, its message is. Each entry keeps its place in the order
// written (`order`, outbox.js) and, once refused, the refusal's code (`error_code`: whether it goes again by itself
// after a reload, sender.js). Entries an earlier version of the page kept have neither: they come back by the time
// they were written, and a retryable refusal of theirs goes again (the server's answer decides once more).

const STORE = "entries";
// What an entry keeps: the File itself, the socket it was last sent on and the progress stay in memory.
const KEPT = ["client_id", "conversation_id", "body", "created_at", "order", "state", "error", "error_code",
  "retryable", "attachment_id", "reply_to", "fileName", "fileSize"];

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

/** Where an entry comes in the order written: its `order`, or for an entry kept without one (an earlier version of
 *  the page), the millisecond it was written (two written in the same one keep the order they are read in). */
export function placeOf(entry) {
  return entry.order ?? (Date.parse(entry.created_at) || 0);
}

export class OutboxStore {
  constructor(userId) {
    this.name = `switchboard-outbox-${userId}`;
    this.opened = null;
  }

  open() {
    if (!this.opened) {
      this.opened = new Promise((resolve, reject) => {
        if (!window.indexedDB) {
          reject(new Error("no IndexedDB"));
          return;
        }
        const opening = indexedDB.open(this.name, 1);
        opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "client_id" });
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
    }
    return this.opened;
  }

  /** Run `work(store)` in one transaction; resolves when it is committed. Storage errors are swallowed:
   * the outbox in memory goes on, only the copy on disk is missing. */
  async write(work) {
    try {
      const database = await this.open();
      const transaction = database.transaction(STORE, "readwrite");
      work(transaction.objectStore(STORE));
      await new Promise((resolve, reject) => {
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } catch {
      // private mode, quota: nothing kept across loads
    }
  }

  put(entry) {
    const kept = {};
    for (const key of KEPT) if (entry[key] !== undefined) kept[key] = entry[key];
    return this.write((store) => store.put(kept));
  }

  delete(clientId) {
    return this.write((store) => store.delete(clientId));
  }

  clear() {
    return this.write((store) => store.clear());
  }

  /** Every kept entry, in the order written. */
  async all() {
    try {
      const database = await this.open();
      const entries = await request(database.transaction(STORE).objectStore(STORE).getAll());
      return entries.sort((first, second) => placeOf(first) - placeOf(second));
    } catch {
      return [];
    }
  }
}
