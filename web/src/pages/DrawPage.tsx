import { Placeholder } from "../components/Placeholder";

export default function DrawPage() {
  return <Placeholder title="Draw" />;
}
