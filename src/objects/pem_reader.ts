/** Reading PEM text, with node-forge. */
import { forge, toBytes } from "./forge.ts";
import { ObjectFormatError } from "./object_type.ts";
import type { PemBlock } from "./pem.ts";

/**
 * Reads every PEM block of `text`, skipping the text between blocks (as Go's `pem.Decode`
 * does). A block whose headers are malformed is an ObjectFormatError; the message never
 * quotes the text.
 */
export function readPemBlocks(text: string): PemBlock[] {
  let messages;
  try {
    messages = forge.pem.decode(text);
  } catch {
    throw new ObjectFormatError("the PEM value has a block with malformed headers");
  }
  return messages.map((message) => {
    const headers: [string, string][] = [];
    if (message.procType) {
      headers.push(["Proc-Type", `${message.procType.version},${message.procType.type}`]);
    }
    if (message.contentDomain) headers.push(["Content-Domain", message.contentDomain]);
    if (message.dekInfo) {
      const { algorithm, parameters } = message.dekInfo;
      headers.push(["DEK-Info", parameters ? `${algorithm},${parameters}` : algorithm]);
    }
    for (const header of message.headers) headers.push([header.name, header.values.join(",")]);
    return { type: message.type, headers, bytes: toBytes(message.body) };
  });
}
