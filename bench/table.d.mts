export function fmt(x: number | undefined, digits?: number): string;
export function printTable(rows: object[]): void;
