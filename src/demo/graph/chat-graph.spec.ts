import { piecesOf } from './chat-graph';

describe('piecesOf', () => {
  it('cuts an answer into pieces of whole words that join back to it', () => {
    const answer = 'You said "Hello there!". This is message 2 of this conversation.';
    const pieces = piecesOf(answer);
    expect(pieces.join('')).toBe(answer);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces[0]).toBe('You said "Hello there!". ');
  });

  it('keeps any whitespace, and bounds the number of pieces for a long text', () => {
    const long = `  ${'word  '.repeat(1000)}\n`;
    const pieces = piecesOf(long);
    expect(pieces.join('')).toBe(long);
    expect(pieces).toHaveLength(8);
    expect(piecesOf('')).toEqual(['']);
  });
});
