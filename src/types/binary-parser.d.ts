// binary-parser ships typings that its package.json "exports" map hides from NodeNext resolution.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
