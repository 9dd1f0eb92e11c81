// Parquet files with version 1 data pages, as pyarrow and pandas write them by default, made from a file
// hyparquet-writer wrote (version 2 pages only). A version 1 page holds its definition levels (after their byte
// length) and its values in one block, compressed together; version 2 keeps the levels uncompressed in front.
import { gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { MAGIC, placeChunk, withFooter } from './parquetPages.js';

/**
 * The uncompressed file `file` with every data page rewritten as a version 1 page, compressed with GZIP when
 * `gzip` is set. `edit` may change each data page's uncompressed bytes first (definition levels from byte 4, after
 * their length, in an optional column).
 */
export function asVersion1(file: ArrayBuffer, options: { gzip?: boolean; edit?: (column: string, page: Uint8Array) => void } = {}): Uint8Array {
  const meta = parquetMetadata(file);
  const optional = new Map(meta.schema.slice(1).map((el) => [el.name, el.repetition_type !== 'REQUIRED']));
  const w = new ByteWriter();
  w.appendUint32(MAGIC);
  const pack = (raw: Uint8Array): Uint8Array => (options.gzip ? new Uint8Array(gzipSync(raw)) : raw);
  for (const group of meta.row_groups) {
    for (const column of group.columns) {
      const md = column.meta_data!;
      const name = md.path_in_schema.join('.');
      const reader = { view: new DataView(file), offset: Number(md.dictionary_page_offset || md.data_page_offset) };
      const end = reader.offset + Number(md.total_compressed_size);
      const start = w.offset;
      let dictionaryAt: number | undefined, dataAt: number | undefined, uncompressed = 0;
      while (reader.offset < end) {
        const h = parquetHeader(reader);
        const body = new Uint8Array(file, reader.offset, h.compressed_page_size);
        reader.offset += h.compressed_page_size;
        const headerAt = w.offset;
        const v2 = h.data_page_header_v2;
        if (v2) {
          if (v2.repetition_levels_byte_length !== 0) throw new Error('flat columns only');
          const levels = body.subarray(0, v2.definition_levels_byte_length);
          const length = new Uint8Array(4);
          new DataView(length.buffer).setUint32(0, levels.length, true);
          const raw = Buffer.concat([...(optional.get(name) ? [length, levels] : []), body.subarray(v2.definition_levels_byte_length)]);
          options.edit?.(name, raw);
          const packed = pack(raw);
          dataAt ??= headerAt;
          writePageHeader(w, {
            type: 'DATA_PAGE', uncompressed_page_size: raw.length, compressed_page_size: packed.length,
            data_page_header: { num_values: v2.num_values, encoding: v2.encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
          });
          w.appendBytes(packed);
          uncompressed += w.offset - headerAt - packed.length + raw.length;
        } else {
          const packed = pack(body);
          if (h.type === 'DICTIONARY_PAGE') dictionaryAt = headerAt;
          writePageHeader(w, { ...h, uncompressed_page_size: body.length, compressed_page_size: packed.length });
          w.appendBytes(packed);
          uncompressed += w.offset - headerAt - packed.length + body.length;
        }
      }
      md.codec = options.gzip ? 'GZIP' : 'UNCOMPRESSED';
      placeChunk(column, { start, end: w.offset, dictionaryAt, dataAt: dataAt!, uncompressed });
    }
  }
  return withFooter(w, meta);
}
