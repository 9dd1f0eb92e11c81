// Parquet files rewritten page by page: each page's header and bytes may be changed (a field a writer sets, a
// checksum added, values altered), and the column chunks' offsets and sizes in the footer follow.
import { parquetMetadata, type PageHeader } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

export const MAGIC = 0x31524150; // "PAR1"

/** Where a page lies: its column, row group, and place among the chunk's pages (0 for a dictionary page). */
export interface PageAt { column: string; group: number; page: number }

/**
 * `file` with each page passed to `edit`, which may change its header and return new bytes for it (the header's
 * compressed size follows them, and in an uncompressed chunk its uncompressed size too), or null to leave the page
 * out. Page statistics are dropped.
 */
export function rewritePages(file: ArrayBuffer | Uint8Array, edit: (at: PageAt, header: PageHeader, body: Uint8Array) => Uint8Array | null | void): Uint8Array {
  const buffer = file instanceof Uint8Array ? (file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer) : file;
  const meta = parquetMetadata(buffer);
  const w = new ByteWriter();
  w.appendUint32(MAGIC);
  meta.row_groups.forEach((group, g) => {
    for (const column of group.columns) {
      const md = column.meta_data!;
      const reader = { view: new DataView(buffer), offset: Number(md.dictionary_page_offset || md.data_page_offset) };
      const end = reader.offset + Number(md.total_compressed_size);
      const start = w.offset;
      let dictionaryAt: number | undefined, dataAt: number | undefined, uncompressed = 0, page = 0;
      while (reader.offset < end) {
        const h = parquetHeader(reader);
        let body: Uint8Array = new Uint8Array(buffer, reader.offset, h.compressed_page_size).slice();
        reader.offset += h.compressed_page_size;
        const edited = edit({ column: md.path_in_schema.join('.'), group: g, page: page++ }, h, body);
        if (edited === null) continue;
        body = edited ?? body;
        h.compressed_page_size = body.length;
        if (md.codec === 'UNCOMPRESSED') h.uncompressed_page_size = body.length;
        const headerAt = w.offset;
        if (h.type === 'DICTIONARY_PAGE') dictionaryAt = headerAt;
        else dataAt ??= headerAt;
        writePageHeader(w, h);
        w.appendBytes(body);
        uncompressed += w.offset - headerAt - body.length + h.uncompressed_page_size;
      }
      placeChunk(column, { start, end: w.offset, dictionaryAt, dataAt: dataAt!, uncompressed });
    }
  });
  return withFooter(w, meta);
}

type ColumnChunk = ReturnType<typeof parquetMetadata>['row_groups'][number]['columns'][number];

/** Sets a rewritten column chunk's offsets and sizes in the footer (page statistics and indexes dropped). */
export function placeChunk(column: ColumnChunk, at: { start: number; end: number; dictionaryAt?: number; dataAt: number; uncompressed: number }): void {
  const md = column.meta_data!;
  md.dictionary_page_offset = at.dictionaryAt === undefined ? undefined : BigInt(at.dictionaryAt);
  md.data_page_offset = BigInt(at.dataAt);
  md.total_compressed_size = BigInt(at.end - at.start);
  md.total_uncompressed_size = BigInt(at.uncompressed);
  md.encoding_stats = undefined;
  column.file_offset = BigInt(at.start);
  column.offset_index_offset = column.offset_index_length = column.column_index_offset = column.column_index_length = undefined;
}

/** The file: the pages written so far, then the footer, its length and the magic. */
export function withFooter(w: ByteWriter, meta: ReturnType<typeof parquetMetadata>): Uint8Array {
  const footer = w.offset;
  writeMetadata(w, meta);
  w.appendUint32(w.offset - footer);
  w.appendUint32(MAGIC);
  return new Uint8Array(w.getBuffer());
}
