import { Placeholder } from "../components/Placeholder";

export default function LotsPage() {
  return <Placeholder title="Lots" />;
}
