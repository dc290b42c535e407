/**
 * A strict reader of RFC 5424 messages for the tests, written from the RFC's ABNF (§6) rather
 * than from the sender's code: header fields, SD elements with escaped values (§6.3.3), MSG and
 * its BOM (§6.4). Throws on anything the grammar does not allow.
 */
export interface ParsedSyslog {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Map<string, Map<string, string>>;
  msg: string;
  bom: boolean;
}

export function parseSyslog(line: string): ParsedSyslog {
  const header = /^<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(line);
  if (!header) throw new Error(`not an RFC 5424 header: ${line}`);
  const pri = Number(header[1]);
  if (pri > 191) throw new Error(`PRI ${pri} out of range`);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(header[3])) throw new Error(`not an RFC 3339 timestamp: ${header[3]}`);
  let i = header[0].length;
  const sd = new Map<string, Map<string, string>>();
  if (line[i] === '-') i++;
  else {
    while (line[i] === '[') {
      const id = /^\[([^ =\]"]{1,32})/.exec(line.slice(i));
      if (!id) throw new Error(`bad SD-ID at ${i}: ${line}`);
      i += id[0].length;
      const params = new Map<string, string>();
      while (line[i] === ' ') {
        const name = /^ ([^ =\]"]{1,32})="/.exec(line.slice(i));
        if (!name) throw new Error(`bad SD-PARAM at ${i}: ${line}`);
        i += name[0].length;
        let value = '';
        for (;;) {
          const c = line[i++];
          if (c === undefined) throw new Error(`unterminated PARAM-VALUE: ${line}`);
          if (c === '"') break;
          if (c === '\\' && ['"', '\\', ']'].includes(line[i])) value += line[i++];
          else if (c === ']') throw new Error(`unescaped ] in PARAM-VALUE: ${line}`);
          else value += c;
        }
        params.set(name[1], value);
      }
      if (line[i++] !== ']') throw new Error(`SD-ELEMENT not closed at ${i - 1}: ${line}`);
      sd.set(id[1], params);
    }
  }
  let msg = '';
  if (i < line.length) {
    if (line[i] !== ' ') throw new Error(`no SP before MSG at ${i}: ${line}`);
    msg = line.slice(i + 1);
  }
  const bom = msg.startsWith('\uFEFF');
  return {
    pri,
    facility: Math.floor(pri / 8),
    severity: pri % 8,
    version: Number(header[2]),
    timestamp: header[3],
    hostname: header[4],
    appName: header[5],
    procId: header[6],
    msgId: header[7],
    sd,
    msg: bom ? msg.slice(1) : msg,
    bom,
  };
}
