/**
 * Espruino's `require("Storage")` for tests, over a map of file name → bytes (8-bit strings as latin1):
 * read / readJSON / write / erase / list, with Espruino's Storage.write(name, data, offset, size): without
 * offset the file is replaced; a write at offset 0 with a size allocates the file (`size` bytes of 0xFF),
 * later writes fill it in and may not go past it. File names longer than 28 characters are refused with an
 * exception, as Espruino refuses them. Used by the virtual Espruino console and the KeyValueStore contract.
 */

/** The longest Storage file name Espruino accepts. */
export const ESPRUINO_MAX_FILE_NAME = 28;

export interface EspruinoStorageHooks {
  /** Each name read (read, readJSON). */
  onRead?: (name: string) => void;
  /** Each write, before it is applied (the bytes may be changed in place). */
  onWrite?: (name: string, bytes: Buffer, offset: number | undefined) => void;
}

export interface EspruinoStorage {
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions?: boolean): unknown;
  write(name: string, data: unknown, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(): string[];
}

function checkName(name: string): void {
  if (name.length > ESPRUINO_MAX_FILE_NAME) throw new Error(`File name too long (${name.length} > ${ESPRUINO_MAX_FILE_NAME}): ${JSON.stringify(name)}`);
}

export function espruinoStorage(files: Map<string, Buffer>, hooks: EspruinoStorageHooks = {}): EspruinoStorage {
  return {
    read: (name, offset, length) => {
      hooks.onRead?.(name);
      const f = files.get(name);
      if (f === undefined) return undefined;
      const start = offset ?? 0;
      return f.subarray(start, length === undefined ? f.length : start + length).toString("latin1");
    },
    readJSON: (name, noExceptions) => {
      hooks.onRead?.(name);
      const f = files.get(name);
      if (f === undefined) return undefined;
      try {
        return JSON.parse(f.toString("latin1"));
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    write: (name, data, offset, size) => {
      checkName(name);
      const bytes = Buffer.from(String(data), "latin1");
      hooks.onWrite?.(name, bytes, offset);
      if (offset === undefined) {
        files.set(name, bytes);
        return true;
      }
      if (offset === 0 && size !== undefined) {
        if (bytes.length > size) throw new Error(`Too much data for file size`);
        files.set(name, Buffer.alloc(size, 0xff));
      }
      const f = files.get(name);
      if (f === undefined) throw new Error(`File ${JSON.stringify(name)} does not exist: the first write needs offset 0 and a size`);
      if (offset < 0 || offset + bytes.length > f.length) throw new Error(`Write of ${bytes.length} bytes at ${offset} is past the end of ${JSON.stringify(name)} (${f.length} bytes)`);
      bytes.copy(f, offset);
      return true;
    },
    erase: (name) => void files.delete(name),
    list: () => [...files.keys()],
  };
}
