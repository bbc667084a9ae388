export async function greet(name: string): Promise<string> {
  return `figures for ${name}`;
}
