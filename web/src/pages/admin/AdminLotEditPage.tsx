import { Placeholder } from "../../components/Placeholder";

export default function AdminLotEditPage() {
  return <Placeholder title="Edit lot" />;
}
