import { Placeholder } from "../../components/Placeholder";

export default function ProductClassesPage() {
  return <Placeholder title="Product classes" />;
}
