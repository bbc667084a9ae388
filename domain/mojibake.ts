/**
 * Repairs UTF-8 text that was decoded with a legacy code page on its way into a published file:
 * `SÃ©gou` (Windows-1252 or Latin-1) or `S├®gou`, `S├ęgou` (the DOS code pages 850 and 852)
 * for `Ségou`. The text is encoded back to the bytes it came from and decoded as UTF-8; when
 * those bytes are not valid UTF-8 the text was not mis-decoded that way and is kept.
 */

/** Windows-1252 bytes 0x80–0x9F; the five undefined bytes pass through as C1 controls. */
const CP1252_80_9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
/** Latin-1 is the identity on bytes; read that way, 0x80–0x9F become C1 controls. */
const LATIN1_80_FF = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');

/** The upper halves (bytes 0x80–0xFF) of the DOS code pages seen in published files. */
const CP850 =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐' +
  '└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0';
const CP852 =
  'ÇüéâäůćçłëŐőîŹÄĆÉĹĺôöĽľŚśÖÜŤťŁ×čáíóúĄąŽžĘę¬źČş«»░▒▓│┤ÁÂĚŞ╣║╗╝Żż┐' +
  '└┴┬├─┼Ăă╚╔╩╦╠═╬¤đĐĎËďŇÍÎě┘┌█▄ŢŮ▀ÓßÔŃńňŠšŔÚŕŰýÝţ´\u00ad˝˛ˇ˘§÷¸°¨˙űŘř■\u00a0';
const CP437 =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

type CodePage = { marker: RegExp; bytes: ReadonlyMap<string, number> };

/** A code page from the characters it shows for bytes 0x80–0xFF, one or more readings of them. */
function codePage(marker: RegExp, ...upperHalves: string[]): CodePage {
  const bytes = new Map<string, number>();
  for (const half of upperHalves) [...half].forEach((ch, i) => bytes.set(ch, 0x80 + i));
  return { marker, bytes };
}

/**
 * Tried in this order. The markers are what a UTF-8 lead byte of an accented letter turns into
 * (0xC3 is `Ã` in Windows-1252 and `├` in the DOS pages), so well-formed text is never touched.
 */
const CODE_PAGES: readonly CodePage[] = [
  codePage(/[ÂÃÅ]/, LATIN1_80_FF, CP1252_80_9F),
  codePage(/├/, CP850),
  codePage(/├/, CP852),
  codePage(/├/, CP437),
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text as it was written, or the text unchanged when it shows no sign of mis-decoding. */
export function repairMojibake(text: string): string {
  for (const page of CODE_PAGES) {
    if (!page.marker.test(text)) continue;
    const repaired = decodeAs(text, page);
    if (repaired !== undefined) return repaired;
  }
  return text;
}

function decodeAs(text: string, page: CodePage): string | undefined {
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const byte = code < 0x80 ? code : page.bytes.get(ch);
    if (byte === undefined) return undefined;
    bytes.push(byte);
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
