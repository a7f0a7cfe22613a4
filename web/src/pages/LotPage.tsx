import { Placeholder } from "../components/Placeholder";

export default function LotPage() {
  return <Placeholder title="Lot" />;
}
