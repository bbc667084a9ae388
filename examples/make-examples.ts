/**
 * Writes the example drops that cannot be plain text in git: the CMP drops in Windows-1252 (as
 * the commission publishes them) and the ministry's spreadsheet. Run: node bin/run-ts.mjs examples/make-examples.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';

const dir = fileURLToPath(new URL('./mali/', import.meta.url));
const NBSP = '\u00a0';

const cmp = [
  'Commission Mouvements de Populations - Situation des PDI au 31 mars 2020;;;;',
  'Région;Cercle;Nombre de PDI;Ménages;Date',
  `Mopti;;73${NBSP}450;12 240;31/03/2020`,
  'Gao;;26 910;4 480;31/03/2020',
  'Tombouctou;;23 870;3 980;31/03/2020',
  'Ségou;;17 020;2 840;31/03/2020',
  'Ménaka;;19 650;3 270;31/03/2020',
  'Kidal;;4 480;750;31/03/2020',
  'Bamako;;3 400;570;31/03/2020',
  'Koulikoro;;2 220;370;31/03/2020',
  'Mopti;Bandiagara;140 8001;n/d;31/03/2020',
  'Région de Bandiagara;;5 210;870;31/03/2020',
  'Sikasso;;n/d;n/d;31/03/2020',
  'Mali;;171 000;28 500;31/03/2020',
  'Mopti;;82 000;13 670;31/07/2019',
  '',
].join('\r\n');

const revision = [
  'Commission Mouvements de Populations - Révision des chiffres au 31 mars 2020;;;;',
  'Région;Cercle;Nombre de PDI;Ménages;Date',
  'Mopti;;70 900;12 240;31/03/2020',
  'Mali;;168 450;28 500;31/03/2020',
  '',
].join('\r\n');

writeFileSync(`${dir}cmp-pdi-2020-03-31.csv`, iconv.encode(cmp, 'windows-1252'));
writeFileSync(`${dir}cmp-pdi-2020-03-31-revision.csv`, iconv.encode(revision, 'windows-1252'));

const workbook = new ExcelJS.Workbook();
const sheet = workbook.addWorksheet('Retours et diaspora');
sheet.addRow(["Ministère des Maliens de l'Extérieur et de l'Intégration Africaine"]);
sheet.addRow([]);
sheet.addRow(['Pays', 'Début', 'Fin', 'Migrants de retour', "Maliens établis à l'extérieur"]);
sheet.addRow(['Mali', '01/01/2018', '15/08/2019', 12166, 'n/d']);
sheet.addRow(['Mali', '01/01/2020', '31/12/2020', '-', 4000000]);
sheet.addRow(['Mali', '01/01/2019', '31/12/2019', 9873, '']);
await workbook.xlsx.writeFile(`${dir}mmeia-retours-diaspora.xlsx`);
console.log(`wrote the example drops in ${dir}`);
